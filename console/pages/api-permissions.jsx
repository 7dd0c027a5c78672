// An API's Permissions tab: its scopes with descriptions; add and remove.
import { useState } from 'react';
import { ResourceServerScopesAddDocument, ResourceServerScopesRemoveDocument } from '../../sdk/generated/graphql';
import { FormErrors, Requires, TextField } from '../components';
import { useMutation } from '../data';

export function ApiPermissions({ api, reload }) {
  const [removeScopes, removeState] = useMutation(ResourceServerScopesRemoveDocument);
  const remove = async (value) => {
    if (!window.confirm(`Remove the permission ${value}? Grants and roles holding it lose it.`)) return;
    if (await removeScopes({ id: api.id, values: [value] })) reload();
  };
  const locked = api.isSystem;
  return (
    <>
      {!locked && (
        <Requires scope="update:resource_servers" action="add permissions">
          <AddPermission api={api} reload={reload} />
        </Requires>
      )}
      <h2>Permissions of this API ({api.scopes.length})</h2>
      <FormErrors state={removeState} />
      {api.scopes.length === 0 ? (
        <p>No permission yet.</p>
      ) : (
        <Requires scope="update:resource_servers" action="remove permissions">
          <div className="table-wrap" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Permission</th>
                  <th scope="col">Description</th>
                  {!locked && (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {api.scopes.map((scope) => (
                  <tr key={scope.value}>
                    <td className="mono">{scope.value}</td>
                    <td>{scope.description}</td>
                    {!locked && (
                      <td>
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Remove ${scope.value}`}
                          onClick={() => remove(scope.value)}
                        >
                          Remove
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Requires>
      )}
    </>
  );
}

function AddPermission({ api, reload }) {
  const [value, setValue] = useState('');
  const [description, setDescription] = useState('');
  const [add, state] = useMutation(ResourceServerScopesAddDocument);
  const submit = async (event) => {
    event.preventDefault();
    if (await add({ id: api.id, scopes: [{ value, description }] })) {
      setValue('');
      setDescription('');
      reload();
    }
  };
  return (
    <form onSubmit={submit} noValidate className="form inline-form">
      <h2>Add a permission</h2>
      <FormErrors state={state} fields={['value', 'description']} />
      <TextField label="Permission" name="value" value={value} onChange={setValue} state={state} hint="e.g. read:appointments" />
      <TextField
        label="Description"
        name="description"
        value={description}
        onChange={setDescription}
        state={state}
        hint="e.g. Read your appointments"
      />
      <button type="submit" disabled={state.pending}>
        Add permission
      </button>
    </form>
  );
}
