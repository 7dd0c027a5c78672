// An API's token hook, on its Settings tab: set or replace it (URL, failure policy, timeout), its
// secret shown once (a new hook, or a rotation), a test call showing the claims it answered or why
// it failed, and removal. A system API has none (the server refuses it): the tab does not offer it.
import { useId, useState } from 'react';
import {
  ResourceServerTokenHookRemoveDocument,
  ResourceServerTokenHookSetDocument,
  ResourceServerTokenHookTestDocument,
} from '../../sdk/generated/graphql';
import { CheckboxField, FormErrors, Requires, SecretOnce, SelectField, TextField } from '../components';
import { useMutation } from '../data';
import { useSession } from '../session';

const FAILURE_POLICIES = [
  { value: 'DENY', label: 'Deny: no token (the token endpoint answers access_denied)' },
  { value: 'ALLOW_WITHOUT_CLAIMS', label: "Allow: issue the token without the hook's claims" },
];

export function ApiTokenHook({ api, reload }) {
  const [secret, setSecret] = useState(null);
  // Said here, not in the form: the form starts anew when a hook is created or removed.
  const [notice, setNotice] = useState('');
  const hook = api.tokenHook;
  const titleId = useId();
  return (
    <section aria-labelledby={titleId} className="token-hook">
      <h2 id={titleId}>Token hook</h2>
      <p>
        Before each token of this API is signed, the service POSTs the request's context to the hook, which answers claims to add. Each call
        is signed: <code>X-Hook-Signature</code> is <code>sha256=</code> and the hex HMAC-SHA256 of the body, keyed with the hook secret.
      </p>
      <p>{hook ? "This API's tokens go through the hook below." : 'No token hook: tokens of this API carry no custom claims.'}</p>
      <Requires scope="update:resource_servers" action="change this API's token hook">
        {/* A new form once the hook is created or removed, so its fields start from what is stored. */}
        <HookForm
          key={hook?.createdAt ?? 'none'}
          api={api}
          onSubmit={() => setNotice('')}
          onSet={(payload) => {
            setSecret(payload.hookSecret);
            setNotice('Token hook set.');
            reload();
          }}
        />
        <p role="status">{notice}</p>
        {secret && <SecretOnce label="Hook secret" value={secret} />}
        {hook && <TestHook api={api} />}
        {hook && (
          <RemoveHook
            api={api}
            onRemoved={() => {
              setSecret(null);
              setNotice('Token hook removed.');
              reload();
            }}
          />
        )}
      </Requires>
    </section>
  );
}

function HookForm({ api, onSubmit, onSet }) {
  const { tokenHookTimeoutMs: limits } = useSession();
  const hook = api.tokenHook;
  const [url, setUrl] = useState(hook?.url ?? '');
  const [failurePolicy, setFailurePolicy] = useState(hook?.failurePolicy ?? 'DENY');
  const [timeoutMs, setTimeoutMs] = useState(String(hook?.timeoutMs ?? limits.default));
  const [rotateSecret, setRotateSecret] = useState(false);
  const [set, state] = useMutation(ResourceServerTokenHookSetDocument);

  const submit = async (event) => {
    event.preventDefault();
    onSubmit();
    // A number field's value is a number or '' (0 here): the server's rule names the range.
    const payload = await set({
      id: api.id,
      input: { url, failurePolicy, timeoutMs: Number(timeoutMs), rotateSecret: hook ? rotateSecret : undefined },
    });
    if (payload) {
      setRotateSecret(false);
      onSet(payload);
    }
  };

  return (
    <form onSubmit={submit} noValidate className="form">
      <FormErrors state={state} fields={['url', 'failurePolicy', 'timeoutMs']} />
      <TextField
        label="Hook URL"
        name="url"
        type="url"
        value={url}
        onChange={setUrl}
        state={state}
        autoComplete="off"
        hint="An https URL (http only for hosts the service allows in TOKEN_HOOK_ALLOWED_HOSTS), without credentials or fragment."
      />
      <SelectField
        label="When the hook fails"
        name="failurePolicy"
        value={failurePolicy}
        onChange={setFailurePolicy}
        options={FAILURE_POLICIES}
        state={state}
        hint="A failure is an error, a timeout, a status other than 2xx, or a malformed or oversized answer. A hook that answers a protected claim (iss, sub, aud, exp, scope…) is refused whatever this says."
      />
      <TextField
        label="Timeout (milliseconds)"
        name="timeoutMs"
        type="number"
        inputMode="numeric"
        min={limits.min}
        max={limits.max}
        value={timeoutMs}
        onChange={setTimeoutMs}
        state={state}
        hint={`How long the whole call may take: ${limits.min} to ${limits.max} ms (default ${limits.default}). Every token of this API waits for it.`}
      />
      {hook && (
        <CheckboxField
          label="Rotate the hook secret"
          checked={rotateSecret}
          onChange={setRotateSecret}
          hint="Gives the hook a new secret, shown once; the current one stops at once."
        />
      )}
      <div className="actions">
        <button type="submit" disabled={state.pending}>
          {state.pending ? 'Setting…' : hook ? 'Replace token hook' : 'Set token hook'}
        </button>
      </div>
    </form>
  );
}

/** A signed call with a sample context (a sample client, the API's scopes); no token is issued. */
function TestHook({ api }) {
  const [test, state] = useMutation(ResourceServerTokenHookTestDocument);
  const [result, setResult] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    setResult(null);
    const payload = await test({ id: api.id });
    if (payload) setResult(payload);
  };
  return (
    <form onSubmit={submit} className="form">
      <h3>Test the hook</h3>
      <p>Calls it now, signed like a real call, with a sample client and this API's permissions. No token is issued.</p>
      <FormErrors state={state} />
      <div className="actions">
        <button type="submit" className="secondary" disabled={state.pending}>
          {state.pending ? 'Calling the hook…' : 'Test token hook'}
        </button>
      </div>
      <div role="status">
        {result &&
          (result.error != null ? (
            <p className="hook-failure">The hook call failed: {result.error}</p>
          ) : (
            <figure>
              <figcaption>Claims the hook answered</figcaption>
              <pre tabIndex={0}>{JSON.stringify(result.claims, null, 2)}</pre>
            </figure>
          ))}
      </div>
    </form>
  );
}

function RemoveHook({ api, onRemoved }) {
  const [remove, state] = useMutation(ResourceServerTokenHookRemoveDocument);
  const submit = async (event) => {
    event.preventDefault();
    if (!window.confirm(`Remove the token hook of ${api.name}? Its tokens get no hook claims from now on.`)) return;
    if (await remove({ id: api.id })) onRemoved();
  };
  return (
    <form onSubmit={submit} className="form">
      <h3>Remove the hook</h3>
      <p>Tokens of this API get no hook claims from now on; the secret is forgotten.</p>
      <FormErrors state={state} />
      <div className="actions">
        <button type="submit" className="danger" disabled={state.pending}>
          {state.pending ? 'Removing…' : 'Remove token hook'}
        </button>
      </div>
    </form>
  );
}
