// An application's Settings tab: URLs, grant types, authentication method, refresh-token policy;
// delete with typed confirmation.
import { useId, useState } from 'react';
import { ClientDeleteDocument, ClientUpdateDocument } from '../../sdk/generated/graphql';
import { AUTH_METHODS, GRANT_TYPES } from '../app-types';
import { CheckboxField, Field, FormErrors, linesOf, Requires, SelectField, TextField } from '../components';
import { useMutation } from '../data';
import { navigate } from '../router';

const PUBLIC_TYPES = ['SPA', 'NATIVE'];

export function ApplicationSettings({ client, reload }) {
  return (
    <>
      <Requires scope="update:clients" action="change this application's settings">
        <SettingsForm client={client} reload={reload} />
      </Requires>
      <Requires scope="delete:clients" action="delete this application">
        <DeleteApplication client={client} />
      </Requires>
    </>
  );
}

function UrlList({ label, name, value, onChange, state, hint }) {
  return (
    <Field label={label} name={name} state={state} hint={hint}>
      {(props) => <textarea rows={3} value={value} onChange={(e) => onChange(e.target.value)} {...props} />}
    </Field>
  );
}

function SettingsForm({ client, reload }) {
  const [name, setName] = useState(client.name);
  const [description, setDescription] = useState(client.description ?? '');
  const [callbacks, setCallbacks] = useState(client.callbacks.join('\n'));
  const [allowedOrigins, setAllowedOrigins] = useState(client.allowedOrigins.join('\n'));
  const [allowedLogoutUrls, setAllowedLogoutUrls] = useState(client.allowedLogoutUrls.join('\n'));
  const [grantTypes, setGrantTypes] = useState(client.grantTypes);
  const [tokenEndpointAuthMethod, setTokenEndpointAuthMethod] = useState(client.tokenEndpointAuthMethod);
  const [rotation, setRotation] = useState(client.refreshToken.rotation);
  const [update, state] = useMutation(ClientUpdateDocument);
  const [saved, setSaved] = useState(false);
  const grantsId = useId();
  const isPublic = PUBLIC_TYPES.includes(client.appType);

  const submit = async (event) => {
    event.preventDefault();
    setSaved(false);
    const payload = await update({
      id: client.id,
      input: {
        name,
        description,
        callbacks: linesOf(callbacks),
        allowedOrigins: linesOf(allowedOrigins),
        allowedLogoutUrls: linesOf(allowedLogoutUrls),
        grantTypes,
        tokenEndpointAuthMethod,
        refreshToken: { rotation },
      },
    });
    if (payload) {
      setSaved(true);
      reload();
    }
  };
  const fields = ['name', 'description', 'callbacks', 'allowedOrigins', 'allowedLogoutUrls', 'tokenEndpointAuthMethod'];

  return (
    <form onSubmit={submit} noValidate className="form">
      <h2>Settings</h2>
      <FormErrors state={state} fields={fields} />
      <TextField label="Name" name="name" value={name} onChange={setName} state={state} />
      <TextField label="Description" name="description" value={description} onChange={setDescription} state={state} />
      <UrlList
        label="Allowed callback URLs"
        name="callbacks"
        value={callbacks}
        onChange={setCallbacks}
        state={state}
        hint="One per line: where /authorize may send users back (exact match)."
      />
      <UrlList
        label="Allowed web origins"
        name="allowedOrigins"
        value={allowedOrigins}
        onChange={setAllowedOrigins}
        state={state}
        hint="One per line, e.g. https://app.example: pages that may call the token endpoint from a browser."
      />
      <UrlList
        label="Allowed logout URLs"
        name="allowedLogoutUrls"
        value={allowedLogoutUrls}
        onChange={setAllowedLogoutUrls}
        state={state}
        hint="One per line: where users may be sent after signing out."
      />
      <fieldset aria-describedby={grantsId}>
        <legend>Grant types</legend>
        {GRANT_TYPES.map((g) => (
          <CheckboxField
            key={g.value}
            label={g.label}
            checked={grantTypes.includes(g.value)}
            onChange={(on) => setGrantTypes(on ? [...grantTypes, g.value] : grantTypes.filter((v) => v !== g.value))}
          />
        ))}
        <p id={grantsId} className="hint">
          How the application may get tokens.
        </p>
      </fieldset>
      <SelectField
        label="Token endpoint authentication method"
        name="tokenEndpointAuthMethod"
        value={tokenEndpointAuthMethod}
        onChange={setTokenEndpointAuthMethod}
        options={AUTH_METHODS.filter((m) => (isPublic ? m.value === 'NONE' : m.value !== 'NONE'))}
        state={state}
      />
      <SelectField
        label="Refresh token rotation"
        name="rotation"
        value={rotation}
        onChange={setRotation}
        options={[
          { value: 'ROTATING', label: 'Rotating: each use returns a new refresh token' },
          ...(isPublic ? [] : [{ value: 'NON_ROTATING', label: 'Non-rotating: the same token until it expires' }]),
        ]}
        state={state}
      />
      <div className="actions">
        <button type="submit" disabled={state.pending}>
          {state.pending ? 'Saving…' : 'Save'}
        </button>
        <span role="status">{saved ? 'Saved.' : ''}</span>
      </div>
    </form>
  );
}

function DeleteApplication({ client }) {
  const [typed, setTyped] = useState('');
  const [remove, state] = useMutation(ClientDeleteDocument);
  const submit = async (event) => {
    event.preventDefault();
    if (await remove({ id: client.id })) navigate('applications');
  };
  return (
    <form onSubmit={submit} className="form danger">
      <h2>Delete this application</h2>
      <p>Its grants go too; it can no longer get tokens.</p>
      <FormErrors state={state} />
      <TextField
        label={`Type the application's name (${client.name}) to confirm`}
        name="confirm"
        value={typed}
        onChange={setTyped}
        autoComplete="off"
      />
      <button type="submit" className="danger" disabled={typed !== client.name || state.pending}>
        Delete application
      </button>
    </form>
  );
}
