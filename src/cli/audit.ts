import { setTimeout as sleep } from 'node:timers/promises';
import { AuditEventsDocument, type AuditEventFieldsFragment } from '../../sdk/index';
import { integerOption, type Command } from './args';
import type { Output } from './output';
import { PAGE_SIZE } from './pages';

export const summary = 'The audit log of management changes and refused requests';

const COLUMNS = {
  TIME: (e: AuditEventFieldsFragment) => e.occurredAt,
  OUTCOME: (e: AuditEventFieldsFragment) => e.outcome,
  OPERATION: (e: AuditEventFieldsFragment) => e.operation,
  ACTOR: (e: AuditEventFieldsFragment) => e.actor.clientId ?? e.actor.subject,
  TARGET: (e: AuditEventFieldsFragment) => (e.targetType ? `${e.targetType} ${e.targetId ?? ''}`.trim() : null),
};

/** One event per line under `--follow`: a table row (no header) or a JSON line. */
function printFollowed(out: Output, events: readonly AuditEventFieldsFragment[]): void {
  for (const event of events) {
    if (out.json) out.line(JSON.stringify(event));
    else
      out.line(
        Object.values(COLUMNS)
          .map((column) => column(event) ?? '-')
          .join('  '),
      );
  }
}

export const commands: Command[] = [
  {
    path: 'audit tail',
    summary: 'Show the newest audit events, oldest first.',
    details: '--follow prints new events as they come (JSON: one event per line) until interrupted (Ctrl-C).',
    options: {
      last: { type: 'string', short: 'n', value: '<count>', description: 'How many events (default 20, at most 100)' },
      operation: { type: 'string', value: '<name>', description: 'Only this operation (e.g. clientCreate)' },
      follow: { type: 'boolean', short: 'f', description: 'Keep printing new events' },
      interval: { type: 'string', value: '<seconds>', description: 'With --follow: seconds between polls (default 2)' },
    },
    async run({ values, out, session }) {
      const last = integerOption(values, 'last', { min: 1, max: PAGE_SIZE }) ?? 20;
      const interval = integerOption(values, 'interval', { min: 1, max: 3600 }) ?? 2;
      const filter = { operation: typeof values.operation === 'string' ? values.operation : undefined };
      const s = await session();
      const { auditEvents } = await s.request(AuditEventsDocument, { last, filter });
      if (!values.follow) {
        out.result(auditEvents.nodes, () => out.table(auditEvents.nodes, COLUMNS));
        return;
      }
      printFollowed(out, auditEvents.nodes);
      let after = auditEvents.pageInfo.endCursor;
      for (;;) {
        await sleep(interval * 1000);
        const page = (await s.request(AuditEventsDocument, { first: PAGE_SIZE, after, filter })).auditEvents;
        printFollowed(out, page.nodes);
        after = page.pageInfo.endCursor ?? after;
      }
    },
  },
];
