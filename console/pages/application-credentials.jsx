// An application's Credentials tab: its secrets (last four characters only) and rotation with a
// grace period; the new secret is shown once, with a copy button.
import { useState } from 'react';
import { ClientSecretRotateDocument } from '../../sdk/generated/graphql';
import { formatDate, FormErrors, Requires, SecretOnce, SelectField } from '../components';
import { useMutation } from '../data';
import { GRACE_PERIODS } from './api-settings';

export function ApplicationCredentials({ client, reload }) {
  const [grace, setGrace] = useState('0');
  const [rotate, state] = useMutation(ClientSecretRotateDocument);
  const [secret, setSecret] = useState(null);
  if (client.tokenEndpointAuthMethod === 'NONE') return <p>This is a public application: it has no secret.</p>;
  if (client.tokenEndpointAuthMethod === 'PRIVATE_KEY_JWT')
    return <p>This application authenticates with signed assertions (private key JWT): it has no secret, only its public keys.</p>;

  const submit = async (event) => {
    event.preventDefault();
    const payload = await rotate({ id: client.id, input: { previousSecretExpiresIn: Number(grace) } });
    if (payload) {
      setSecret(payload.clientSecret);
      reload();
    }
  };
  return (
    <>
      <h2>Client secrets</h2>
      {client.secrets.length === 0 ? (
        <p>No secret: rotate to make one.</p>
      ) : (
        <ul className="plain">
          {client.secrets.map((s) => (
            <li key={`${s.lastFour}-${s.createdAt}`}>
              <span className="mono">…{s.lastFour}</span>, created {formatDate(s.createdAt)}
              {s.expiresAt ? `, stops working ${formatDate(s.expiresAt)}` : ''}
            </li>
          ))}
        </ul>
      )}
      <Requires scope="update:client_keys" action="rotate the secret">
        <form onSubmit={submit} className="form">
          <FormErrors state={state} fields={['previousSecretExpiresIn']} />
          <SelectField
            label="Grace period for the current secret"
            name="previousSecretExpiresIn"
            value={grace}
            onChange={setGrace}
            options={GRACE_PERIODS}
            state={state}
            hint="The current secret keeps working this long, while you deploy the new one."
          />
          <button type="submit" disabled={state.pending}>
            {state.pending ? 'Rotating…' : 'Rotate secret'}
          </button>
        </form>
      </Requires>
      {secret && <SecretOnce label="New client secret" value={secret} />}
    </>
  );
}
