// An API's Settings tab: name, token lifetimes, RBAC, consent, offline access; identifier and
// algorithm read-only; the token hook (api-token-hook.jsx); HS256 secret rotation; delete with typed
// confirmation.
import { useState } from 'react';
import {
  ResourceServerDeleteDocument,
  ResourceServerSigningSecretRotateDocument,
  ResourceServerUpdateDocument,
} from '../../sdk/generated/graphql';
import { CheckboxField, FormErrors, Requires, SecretOnce, SelectField, TextField } from '../components';
import { useMutation } from '../data';
import { navigate } from '../router';
import { ApiTokenHook } from './api-token-hook';

/** The longest token lifetime the service accepts (TOKEN_LIFETIME_MAX in resource-server.rules.ts). */
const THIRTY_DAYS = 2592000;
const AUTHZ_DIALECTS = { ACCESS_TOKEN: 'ACCESS_TOKEN_AUTHZ', RFC9068_PROFILE: 'RFC9068_PROFILE_AUTHZ' };
const PLAIN_DIALECTS = { ACCESS_TOKEN_AUTHZ: 'ACCESS_TOKEN', RFC9068_PROFILE_AUTHZ: 'RFC9068_PROFILE' };

export const GRACE_PERIODS = [
  { value: '0', label: 'None: the old one stops at once' },
  { value: '3600', label: '1 hour' },
  { value: '86400', label: '1 day' },
  { value: '604800', label: '7 days' },
  { value: '2592000', label: '30 days' },
];

export function ApiSettings({ api, reload }) {
  if (api.isSystem)
    return (
      <>
        <p>This API is built into the service: its settings are managed by the service itself and cannot be changed here.</p>
        <ReadOnly api={api} />
      </>
    );
  return (
    <>
      <ReadOnly api={api} />
      <Requires scope="update:resource_servers" action="change this API's settings">
        <SettingsForm api={api} reload={reload} />
      </Requires>
      <ApiTokenHook api={api} reload={reload} />
      {api.signingAlgorithm === 'HS256' && (
        <Requires scope="update:resource_servers" action="rotate the signing secret">
          <RotateSecret api={api} />
        </Requires>
      )}
      <Requires scope="delete:resource_servers" action="delete this API">
        <DeleteApi api={api} />
      </Requires>
    </>
  );
}

function ReadOnly({ api }) {
  return (
    <dl className="facts">
      <dt>Identifier</dt>
      <dd className="mono">{api.identifier}</dd>
      <dt>Signing algorithm</dt>
      <dd>{api.signingAlgorithm}</dd>
    </dl>
  );
}

function SettingsForm({ api, reload }) {
  const [name, setName] = useState(api.name);
  const [tokenLifetime, setTokenLifetime] = useState(String(api.tokenLifetime));
  const [tokenLifetimeForWeb, setTokenLifetimeForWeb] = useState(String(api.tokenLifetimeForWeb));
  const [enforcePolicies, setEnforcePolicies] = useState(api.enforcePolicies);
  const [permissionsInToken, setPermissionsInToken] = useState(api.tokenDialect in PLAIN_DIALECTS);
  const [allowSkippingUserConsent, setAllowSkippingUserConsent] = useState(api.allowSkippingUserConsent);
  const [allowOfflineAccess, setAllowOfflineAccess] = useState(api.allowOfflineAccess);
  const [update, state] = useMutation(ResourceServerUpdateDocument);
  const [saved, setSaved] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    setSaved(false);
    const base = PLAIN_DIALECTS[api.tokenDialect] ?? api.tokenDialect;
    const payload = await update({
      id: api.id,
      input: {
        name,
        tokenLifetime: Number(tokenLifetime),
        tokenLifetimeForWeb: Number(tokenLifetimeForWeb),
        enforcePolicies,
        tokenDialect: permissionsInToken ? AUTHZ_DIALECTS[base] : base,
        allowSkippingUserConsent,
        allowOfflineAccess,
      },
    });
    if (payload) {
      setSaved(true);
      reload();
    }
  };

  return (
    <form onSubmit={submit} noValidate className="form">
      <h2>Settings</h2>
      <FormErrors state={state} fields={['name', 'tokenLifetime', 'tokenLifetimeForWeb', 'tokenDialect']} />
      <TextField label="Name" name="name" value={name} onChange={setName} state={state} />
      <TextField
        label="Token lifetime (seconds)"
        name="tokenLifetime"
        type="number"
        inputMode="numeric"
        value={tokenLifetime}
        onChange={setTokenLifetime}
        state={state}
        hint={`How long its access tokens are valid: 60 to ${THIRTY_DAYS} seconds (30 days, the longest the service allows).`}
      />
      <TextField
        label="Token lifetime for web apps (seconds)"
        name="tokenLifetimeForWeb"
        type="number"
        inputMode="numeric"
        value={tokenLifetimeForWeb}
        onChange={setTokenLifetimeForWeb}
        state={state}
        hint="For tokens issued to browser apps (implicit flow): at most the token lifetime, and never above 30 days."
      />
      <fieldset>
        <legend>RBAC</legend>
        <CheckboxField
          label="Enable RBAC"
          checked={enforcePolicies}
          onChange={setEnforcePolicies}
          hint="Users' tokens carry only the requested permissions their roles grant."
        />
        <CheckboxField
          label="Add permissions in the access token"
          checked={permissionsInToken}
          onChange={setPermissionsInToken}
          hint="Adds a permissions claim listing the user's permissions for this API."
        />
      </fieldset>
      <fieldset>
        <legend>Access settings</legend>
        <CheckboxField
          label="Allow skipping user consent"
          checked={allowSkippingUserConsent}
          onChange={setAllowSkippingUserConsent}
          hint="First-party applications get tokens for this API without asking the user."
        />
        <CheckboxField
          label="Allow offline access"
          checked={allowOfflineAccess}
          onChange={setAllowOfflineAccess}
          hint="Applications may ask for refresh tokens for this API (offline_access)."
        />
      </fieldset>
      <div className="actions">
        <button type="submit" disabled={state.pending}>
          {state.pending ? 'Saving…' : 'Save'}
        </button>
        <span role="status">{saved ? 'Saved.' : ''}</span>
      </div>
    </form>
  );
}

function RotateSecret({ api }) {
  const [grace, setGrace] = useState('0');
  const [rotate, state] = useMutation(ResourceServerSigningSecretRotateDocument);
  const [secret, setSecret] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    if (!window.confirm(`Rotate the signing secret of ${api.name}?`)) return;
    const payload = await rotate({ id: api.id, input: { previousSecretExpiresIn: Number(grace) } });
    if (payload) setSecret(payload.signingSecret);
  };
  return (
    <form onSubmit={submit} className="form">
      <h2>Signing secret</h2>
      <FormErrors state={state} fields={['previousSecretExpiresIn']} />
      <SelectField
        label="Grace period for the current secret"
        name="previousSecretExpiresIn"
        value={grace}
        onChange={setGrace}
        options={GRACE_PERIODS}
        state={state}
        hint="Tokens signed with the current secret stay verifiable this long."
      />
      <button type="submit" disabled={state.pending}>
        Rotate signing secret
      </button>
      {secret && <SecretOnce label="New signing secret" value={secret} />}
    </form>
  );
}

function DeleteApi({ api }) {
  const [typed, setTyped] = useState('');
  const [remove, state] = useMutation(ResourceServerDeleteDocument);
  const submit = async (event) => {
    event.preventDefault();
    if (await remove({ id: api.id })) navigate('apis');
  };
  return (
    <form onSubmit={submit} className="form danger">
      <h2>Delete this API</h2>
      <p>Its permissions and every grant of it go too. Tokens already issued stay valid until they expire.</p>
      <FormErrors state={state} />
      <TextField
        label={`Type the API's name (${api.name}) to confirm`}
        name="confirm"
        value={typed}
        onChange={setTyped}
        autoComplete="off"
      />
      <button type="submit" className="danger" disabled={typed !== api.name || state.pending}>
        Delete API
      </button>
    </form>
  );
}
