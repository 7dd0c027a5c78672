/** A connection's page as every list operation selects it. */
interface Page<N> {
  nodes: N[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** The largest page the Management API serves. */
export const PAGE_SIZE = 100;

/** Every node of a connection, page after page (keyset cursors: nothing is skipped or repeated). */
export async function allNodes<N>(fetchPage: (after: string | null) => Promise<Page<N>>): Promise<N[]> {
  const nodes: N[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Page<N> = await fetchPage(after);
    nodes.push(...page.nodes);
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return nodes;
    after = page.pageInfo.endCursor;
  }
}
