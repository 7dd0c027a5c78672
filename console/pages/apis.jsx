// APIs: every resource server, with its identifier, signing algorithm and whether it is built in.
import { useState } from 'react';
import { ResourceServersDocument } from '../../sdk/generated/graphql';
import { FIRST_PAGE, Loaded, MissingPermission, Pager, useTitle } from '../components';
import { useQuery } from '../data';
import { Link } from '../router';
import { useCan } from '../session';

export function ApisPage() {
  useTitle('APIs');
  const can = useCan();
  const [page, setPage] = useState(FIRST_PAGE);
  const query = useQuery(ResourceServersDocument, page, { skip: !can('read:resource_servers') });
  return (
    <>
      <div className="page-head">
        <h1>APIs</h1>
        {can('create:resource_servers') ? (
          <Link to="apis/new" className="button">
            Create API
          </Link>
        ) : (
          <MissingPermission scope="create:resource_servers" action="create APIs" />
        )}
      </div>
      <p className="lead">The APIs this server issues access tokens for: each defines its permissions (scopes) and token policy.</p>
      {!can('read:resource_servers') ? (
        <MissingPermission scope="read:resource_servers" action="see the APIs" />
      ) : (
        <Loaded query={query}>
          {({ resourceServers }) => (
            <>
              <div className="table-wrap" tabIndex={0}>
                <table>
                  <caption className="visually-hidden">APIs ({resourceServers.totalCount})</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Identifier</th>
                      <th scope="col">Algorithm</th>
                    </tr>
                  </thead>
                  <tbody>
                    {resourceServers.nodes.map((api) => (
                      <tr key={api.id}>
                        <td>
                          <Link to={`apis/${api.id}`}>{api.name}</Link>
                          {api.isSystem && <span className="badge">System</span>}
                        </td>
                        <td className="mono">{api.identifier}</td>
                        <td>{api.signingAlgorithm}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager label="APIs" pageInfo={resourceServers.pageInfo} onPage={setPage} />
            </>
          )}
        </Loaded>
      )}
    </>
  );
}
