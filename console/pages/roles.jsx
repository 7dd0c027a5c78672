// Roles: named sets of permissions (scopes of APIs), listed with their permissions by API; create a
// role, add and remove its permissions.
import { useState } from 'react';
import {
  ResourceServersDocument,
  RoleCreateDocument,
  RolePermissionsAddDocument,
  RolePermissionsRemoveDocument,
  RolesDocument,
} from '../../sdk/generated/graphql';
import { FIRST_PAGE, FormErrors, Loaded, MissingPermission, Pager, Requires, SelectField, TextField, useTitle } from '../components';
import { useMutation, useQuery } from '../data';
import { useCan } from '../session';

export function RolesPage() {
  useTitle('Roles');
  const can = useCan();
  const [page, setPage] = useState(FIRST_PAGE);
  const roles = useQuery(RolesDocument, page, { skip: !can('read:roles') });
  const apis = useQuery(ResourceServersDocument, { first: 100 }, { skip: !can('read:resource_servers') });
  return (
    <>
      <h1>Roles</h1>
      <p className="lead">Roles give users permissions of APIs. This console&apos;s own permissions are those of the Management API.</p>
      <Requires scope="create:roles" action="create roles">
        <CreateRole reload={roles.reload} />
      </Requires>
      {!can('read:roles') ? (
        <MissingPermission scope="read:roles" action="see the roles" />
      ) : (
        <Loaded query={roles}>
          {(data) => (
            <>
              <ul className="cards">
                {data.roles.nodes.map((role) => (
                  <RoleCard key={role.id} role={role} apis={apis.data?.resourceServers.nodes ?? []} reload={roles.reload} />
                ))}
              </ul>
              <Pager label="Roles" pageInfo={data.roles.pageInfo} onPage={setPage} />
            </>
          )}
        </Loaded>
      )}
    </>
  );
}

function CreateRole({ reload }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [create, state] = useMutation(RoleCreateDocument);
  const submit = async (event) => {
    event.preventDefault();
    if (await create({ input: { name, description: description || undefined } })) {
      setName('');
      setDescription('');
      reload();
    }
  };
  return (
    <details className="card">
      <summary>Create a role</summary>
      <form onSubmit={submit} noValidate className="form">
        <FormErrors state={state} fields={['name', 'description']} />
        <TextField label="Role name" name="name" value={name} onChange={setName} state={state} />
        <TextField label="Role description" name="description" value={description} onChange={setDescription} state={state} />
        <button type="submit" disabled={state.pending}>
          Create role
        </button>
      </form>
    </details>
  );
}

function RoleCard({ role, apis, reload }) {
  const can = useCan();
  const [remove, removeState] = useMutation(RolePermissionsRemoveDocument);
  const byApi = new Map();
  for (const p of role.permissions) byApi.set(p.resourceServerIdentifier, [...(byApi.get(p.resourceServerIdentifier) ?? []), p.scope]);
  const apiId = (identifier) => apis.find((a) => a.identifier === identifier)?.id;
  const removePermission = async (identifier, scope) => {
    if (await remove({ id: role.id, permissions: [{ resourceServerId: apiId(identifier), scope }] })) reload();
  };
  const headingId = `role-${role.id}`;
  return (
    <li className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{role.name}</h2>
      {role.description && <p>{role.description}</p>}
      <FormErrors state={removeState} />
      {byApi.size === 0 && <p>No permission yet.</p>}
      {[...byApi].map(([identifier, scopes]) => (
        <div key={identifier}>
          <h3 className="mono">{apis.find((a) => a.identifier === identifier)?.name ?? identifier}</h3>
          <ul className="chips">
            {scopes.map((scope) => (
              <li key={scope}>
                <span className="mono">{scope}</span>
                {can('update:roles') && apiId(identifier) && (
                  <button
                    type="button"
                    className="chip-remove"
                    aria-label={`Remove ${scope} from ${role.name}`}
                    onClick={() => removePermission(identifier, scope)}
                  >
                    ×
                  </button>
                )}
              </li>
            ))}
          </ul>
        </div>
      ))}
      <Requires scope="update:roles" action="change the role's permissions">
        <AddPermission role={role} apis={apis} reload={reload} />
      </Requires>
    </li>
  );
}

function AddPermission({ role, apis, reload }) {
  const [apiId, setApiId] = useState('');
  const [scope, setScope] = useState('');
  const [add, state] = useMutation(RolePermissionsAddDocument);
  const api = apis.find((a) => a.id === apiId);
  const submit = async (event) => {
    event.preventDefault();
    if (await add({ id: role.id, permissions: [{ resourceServerId: apiId, scope }] })) {
      setScope('');
      reload();
    }
  };
  if (apis.length === 0) return <MissingPermission scope="read:resource_servers" action="add permissions of APIs" />;
  return (
    <form onSubmit={submit} className="form inline-form">
      <FormErrors state={state} fields={['scope', 'resourceServerId']} />
      <SelectField
        label={`API for ${role.name}`}
        name="resourceServerId"
        value={apiId}
        onChange={(v) => {
          setApiId(v);
          setScope('');
        }}
        options={[{ value: '', label: 'Choose an API' }, ...apis.map((a) => ({ value: a.id, label: a.name }))]}
        state={state}
      />
      <SelectField
        label={`Permission for ${role.name}`}
        name="scope"
        value={scope}
        onChange={setScope}
        options={[{ value: '', label: 'Choose a permission' }, ...(api?.scopes ?? []).map((s) => ({ value: s.value, label: s.value }))]}
        state={state}
      />
      <button type="submit" disabled={!apiId || !scope || state.pending}>
        Add permission
      </button>
    </form>
  );
}
