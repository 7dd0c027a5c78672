// Create API: name, identifier (the token audience) and signing algorithm; the service's rules
// come back as userErrors, shown next to their fields.
import { useState } from 'react';
import { ResourceServerCreateDocument } from '../../sdk/generated/graphql';
import { FormErrors, Requires, SecretOnce, SelectField, TextField, useTitle } from '../components';
import { useMutation } from '../data';
import { Link, navigate } from '../router';

export const SIGNING_ALGORITHMS = [
  { value: 'RS256', label: 'RS256 (RSA, the most widely supported)' },
  { value: 'PS256', label: 'PS256 (RSA-PSS)' },
  { value: 'ES256', label: 'ES256 (ECDSA P-256)' },
  { value: 'HS256', label: 'HS256 (shared secret)' },
];

export function ApiCreatePage() {
  useTitle('Create API');
  const [name, setName] = useState('');
  const [identifier, setIdentifier] = useState('');
  const [signingAlgorithm, setSigningAlgorithm] = useState('RS256');
  const [create, state] = useMutation(ResourceServerCreateDocument);
  const [created, setCreated] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    const payload = await create({ input: { name, identifier, signingAlgorithm } });
    if (!payload) return;
    if (payload.signingSecret) setCreated(payload);
    else navigate(`apis/${payload.resourceServer.id}/settings`);
  };

  if (created)
    return (
      <>
        <h1>API created</h1>
        <SecretOnce label="Signing secret" value={created.signingSecret} />
        <p>
          <Link to={`apis/${created.resourceServer.id}/settings`}>Continue to {created.resourceServer.name}</Link>
        </p>
      </>
    );

  return (
    <>
      <p className="crumbs">
        <Link to="apis">APIs</Link>
      </p>
      <h1>Create API</h1>
      <Requires scope="create:resource_servers" action="create APIs">
        <form onSubmit={submit} noValidate className="form">
          <FormErrors state={state} fields={['name', 'identifier', 'signingAlgorithm']} />
          <TextField
            label="Name"
            name="name"
            value={name}
            onChange={setName}
            state={state}
            hint="A friendly name, e.g. Organizer API."
            required
          />
          <TextField
            label="Identifier"
            name="identifier"
            value={identifier}
            onChange={setIdentifier}
            state={state}
            hint="The audience of its tokens: an absolute URI, e.g. https://organizer.example/. It cannot be changed later."
            required
          />
          <SelectField
            label="Signing algorithm"
            name="signingAlgorithm"
            value={signingAlgorithm}
            onChange={setSigningAlgorithm}
            options={SIGNING_ALGORITHMS}
            state={state}
            hint="How its access tokens are signed."
          />
          <div className="actions">
            <button type="submit" disabled={state.pending}>
              {state.pending ? 'Creating…' : 'Create'}
            </button>
            <Link to="apis" className="button secondary">
              Cancel
            </Link>
          </div>
        </form>
      </Requires>
    </>
  );
}
