// Data hooks over the SDK's typed documents: every request goes through createManagementClient.
import { useCallback, useEffect, useState } from 'react';
import { describeError } from './errors';
import { useSession } from './session';

/** Runs a query document; { loading, data, error (a sentence), reload }. `skip` when not allowed. */
export function useQuery(document, variables, { skip = false } = {}) {
  const { client } = useSession();
  const key = JSON.stringify(variables ?? {});
  const [tick, setTick] = useState(0);
  const [state, setState] = useState({ loading: !skip, data: null, error: null });
  useEffect(() => {
    if (skip) {
      setState({ loading: false, data: null, error: null });
      return undefined;
    }
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    client.request(document, JSON.parse(key)).then(
      (data) => live && setState({ loading: false, data, error: null }),
      (error) => live && setState((s) => ({ loading: false, data: s.data, error: describeError(error) })),
    );
    return () => {
      live = false;
    };
  }, [client, document, key, skip, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/**
 * A mutation document: `run(variables)` resolves to its payload when it succeeded, else null, with
 * the refusal in `state.userErrors` (business rules, shown next to their fields) or `state.error`.
 */
export function useMutation(document) {
  const { client } = useSession();
  const [state, setState] = useState({ pending: false, error: null, userErrors: [] });
  const run = useCallback(
    async (variables) => {
      setState({ pending: true, error: null, userErrors: [] });
      try {
        const data = await client.request(document, variables);
        const payload = Object.values(data)[0];
        const userErrors = payload?.userErrors ?? [];
        setState({ pending: false, error: null, userErrors });
        return userErrors.length > 0 ? null : payload;
      } catch (error) {
        setState({ pending: false, error: describeError(error), userErrors: [] });
        return null;
      }
    },
    [client, document],
  );
  const reset = useCallback(() => setState({ pending: false, error: null, userErrors: [] }), []);
  return [run, state, reset];
}
