// Create application: name and type; a confidential application's secret is shown once.
import { useState } from 'react';
import { ClientCreateDocument } from '../../sdk/generated/graphql';
import { APPLICATION_TYPES } from '../app-types';
import { FormErrors, Requires, SecretOnce, SelectField, TextField, useTitle } from '../components';
import { useMutation } from '../data';
import { Link, navigate } from '../router';

export function ApplicationCreatePage() {
  useTitle('Create application');
  const [name, setName] = useState('');
  const [appType, setAppType] = useState('MACHINE_TO_MACHINE');
  const [create, state] = useMutation(ClientCreateDocument);
  const [created, setCreated] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    const payload = await create({ input: { name, appType } });
    if (!payload) return;
    if (payload.clientSecret) setCreated(payload);
    else navigate(`applications/${payload.client.id}/settings`);
  };

  if (created)
    return (
      <>
        <h1>Application created</h1>
        <dl className="facts">
          <dt>Name</dt>
          <dd>{created.client.name}</dd>
          <dt>Client ID</dt>
          <dd className="mono">{created.client.clientId}</dd>
        </dl>
        <SecretOnce label="Client secret" value={created.clientSecret} />
        <p>
          <Link to={`applications/${created.client.id}/settings`}>Continue to {created.client.name}</Link>
        </p>
      </>
    );

  return (
    <>
      <p className="crumbs">
        <Link to="applications">Applications</Link>
      </p>
      <h1>Create application</h1>
      <Requires scope="create:clients" action="create applications">
        <form onSubmit={submit} noValidate className="form">
          <FormErrors state={state} fields={['name', 'appType']} />
          <TextField label="Name" name="name" value={name} onChange={setName} state={state} required />
          <SelectField
            label="Application type"
            name="appType"
            value={appType}
            onChange={setAppType}
            options={APPLICATION_TYPES}
            state={state}
            hint="Machine to machine: a service calling APIs on its own behalf (client credentials)."
          />
          <div className="actions">
            <button type="submit" disabled={state.pending}>
              {state.pending ? 'Creating…' : 'Create'}
            </button>
            <Link to="applications" className="button secondary">
              Cancel
            </Link>
          </div>
        </form>
      </Requires>
    </>
  );
}
