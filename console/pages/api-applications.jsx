// An API's Machine to Machine Applications tab: every machine-to-machine application with an
// Authorized toggle (a client grant for this API) and a checkbox per permission of the grant.
// De-authorizing can also revoke the tokens already issued under the grant.
import { useState } from 'react';
import {
  ClientGrantCreateDocument,
  ClientGrantDeleteDocument,
  ClientGrantUpdateDocument,
  ClientsDocument,
  ResourceServerClientGrantsDocument,
} from '../../sdk/generated/graphql';
import { CheckboxField, FormErrors, Loaded, MissingPermission, Pager } from '../components';
import { useMutation, useQuery } from '../data';
import { Link } from '../router';
import { useCan } from '../session';

const MACHINE_CLIENTS = { first: 100, filter: { appType: 'MACHINE_TO_MACHINE' } };

export function ApiApplications({ api }) {
  const can = useCan();
  const [page, setPage] = useState(MACHINE_CLIENTS);
  const readable = can('read:clients') && can('read:client_grants');
  const clients = useQuery(ClientsDocument, { ...page, filter: MACHINE_CLIENTS.filter }, { skip: !readable });
  const grants = useQuery(ResourceServerClientGrantsDocument, { id: api.id, first: 100 }, { skip: !readable });
  if (!can('read:clients')) return <MissingPermission scope="read:clients" action="see the applications" />;
  if (!can('read:client_grants')) return <MissingPermission scope="read:client_grants" action="see which applications are authorized" />;
  if (api.isSystem)
    return <p>Machine-to-machine access to this built-in API is granted like any other; use the Management API to change it.</p>;
  return (
    <>
      <p className="lead">
        Applications authorized for this API get its tokens with the client credentials grant, carrying the permissions ticked here.
      </p>
      {!can('create:client_grants') && <MissingPermission scope="create:client_grants" action="authorize applications" />}
      {!can('update:client_grants') && <MissingPermission scope="update:client_grants" action="change an application's permissions" />}
      {!can('delete:client_grants') && <MissingPermission scope="delete:client_grants" action="de-authorize applications" />}
      <Loaded query={clients}>
        {(clientData) => (
          <Loaded query={grants}>
            {(grantData) => {
              const byClient = new Map(grantData.resourceServer.clientGrants.nodes.map((g) => [g.client?.id, g]));
              return (
                <>
                  {clientData.clients.nodes.length === 0 && (
                    <p>
                      No machine-to-machine application yet. <Link to="applications/new">Create one.</Link>
                    </p>
                  )}
                  <ul className="cards">
                    {clientData.clients.nodes.map((client) => (
                      <ClientRow
                        key={`${client.id}:${byClient.get(client.id)?.id ?? ''}`}
                        api={api}
                        client={client}
                        grant={byClient.get(client.id)}
                        reload={grants.reload}
                      />
                    ))}
                  </ul>
                  <Pager label="Applications" pageInfo={clientData.clients.pageInfo} onPage={setPage} />
                </>
              );
            }}
          </Loaded>
        )}
      </Loaded>
    </>
  );
}

function ClientRow({ api, client, grant, reload }) {
  const can = useCan();
  const [create, createState] = useMutation(ClientGrantCreateDocument);
  const [update, updateState] = useMutation(ClientGrantUpdateDocument);
  const [remove, removeState] = useMutation(ClientGrantDeleteDocument);
  const [scopes, setScopes] = useState(grant?.scopes ?? []);
  const [confirming, setConfirming] = useState(false);
  const [revokeIssuedTokens, setRevokeIssuedTokens] = useState(true);
  const authorized = grant !== undefined;
  const headingId = `client-${client.id}`;

  const toggle = async (on) => {
    if (on) {
      if (await create({ input: { clientId: client.id, resourceServerId: api.id, scopes: [] } })) reload();
    } else setConfirming(true);
  };
  const deauthorize = async () => {
    if (await remove({ id: grant.id, input: { revokeIssuedTokens } })) {
      setConfirming(false);
      reload();
    }
  };
  const setScope = async (value, on) => {
    const next = on ? [...scopes, value] : scopes.filter((s) => s !== value);
    const payload = await update({ id: grant.id, input: { scopes: next } });
    if (payload) setScopes(payload.clientGrant.scopes);
  };

  return (
    <li className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h3 id={headingId}>
          <Link to={`applications/${client.id}`}>{client.name}</Link>
        </h3>
        <span className="mono subtle">{client.clientId}</span>
        <CheckboxField
          label={`Authorized: ${client.name}`}
          role="switch"
          checked={authorized}
          onChange={toggle}
          disabled={authorized ? !can('delete:client_grants') || confirming : !can('create:client_grants')}
        />
      </div>
      <FormErrors state={createState} />
      <FormErrors state={removeState} />
      {confirming && (
        <div className="confirm" role="group" aria-label={`De-authorize ${client.name}`}>
          <p>
            De-authorize <strong>{client.name}</strong> for this API? It can no longer get tokens for it.
          </p>
          <CheckboxField
            label="Also revoke the tokens already issued to it for this API"
            checked={revokeIssuedTokens}
            onChange={setRevokeIssuedTokens}
            hint="They are refused by introspection and the Management API at once; APIs that verify tokens locally accept them until they expire."
          />
          <div className="actions">
            <button type="button" className="danger" onClick={deauthorize} disabled={removeState.pending}>
              De-authorize
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {authorized && (
        <fieldset className="scopes" disabled={!can('update:client_grants')}>
          <legend>Permissions granted to {client.name}</legend>
          <FormErrors state={updateState} />
          {api.scopes.length === 0 && <p>This API has no permission yet: add some on the Permissions tab.</p>}
          {api.scopes.map((scope) => (
            <CheckboxField
              key={scope.value}
              label={scope.value}
              checked={scopes.includes(scope.value)}
              onChange={(on) => setScope(scope.value, on)}
              hint={scope.description || undefined}
            />
          ))}
          {updateState.pending && <p role="status">Saving…</p>}
        </fieldset>
      )}
      {!authorized && createState.pending && <p role="status">Authorizing…</p>}
    </li>
  );
}
