// An application's APIs tab: the APIs it is authorized for (client grants) and with which permissions.
import { ClientClientGrantsDocument } from '../../sdk/generated/graphql';
import { Loaded, MissingPermission } from '../components';
import { useQuery } from '../data';
import { Link } from '../router';
import { useCan } from '../session';

export function ApplicationApis({ client }) {
  const can = useCan();
  const query = useQuery(ClientClientGrantsDocument, { id: client.id, first: 100 }, { skip: !can('read:client_grants') });
  if (!can('read:client_grants')) return <MissingPermission scope="read:client_grants" action="see the APIs it is authorized for" />;
  return (
    <Loaded query={query}>
      {(data) => {
        const grants = data.client?.clientGrants.nodes ?? [];
        if (grants.length === 0)
          return <p>Not authorized for any API. Authorize it on an API&apos;s Machine to Machine Applications tab.</p>;
        return (
          <div className="table-wrap" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">API</th>
                  <th scope="col">Permissions</th>
                </tr>
              </thead>
              <tbody>
                {grants.map((g) => (
                  <tr key={g.id}>
                    <td>{g.resourceServer ? <Link to={`apis/${g.resourceServer.id}/applications`}>{g.resourceServer.name}</Link> : '—'}</td>
                    <td className="mono">{g.scopes.join(' ') || '(none)'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      }}
    </Loaded>
  );
}
