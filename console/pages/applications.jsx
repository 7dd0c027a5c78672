// Applications: every client, with its type and client ID.
import { useState } from 'react';
import { ClientsDocument } from '../../sdk/generated/graphql';
import { applicationTypeLabel } from '../app-types';
import { FIRST_PAGE, Loaded, MissingPermission, Pager, useTitle } from '../components';
import { useQuery } from '../data';
import { Link } from '../router';
import { useCan } from '../session';

export function ApplicationsPage() {
  useTitle('Applications');
  const can = useCan();
  const [page, setPage] = useState(FIRST_PAGE);
  const query = useQuery(ClientsDocument, page, { skip: !can('read:clients') });
  return (
    <>
      <div className="page-head">
        <h1>Applications</h1>
        {can('create:clients') ? (
          <Link to="applications/new" className="button">
            Create application
          </Link>
        ) : (
          <MissingPermission scope="create:clients" action="create applications" />
        )}
      </div>
      <p className="lead">The applications (OAuth clients) that sign users in or get tokens for APIs.</p>
      {!can('read:clients') ? (
        <MissingPermission scope="read:clients" action="see the applications" />
      ) : (
        <Loaded query={query}>
          {({ clients }) => (
            <>
              <div className="table-wrap" tabIndex={0}>
                <table>
                  <caption className="visually-hidden">Applications ({clients.totalCount})</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Type</th>
                      <th scope="col">Client ID</th>
                    </tr>
                  </thead>
                  <tbody>
                    {clients.nodes.map((client) => (
                      <tr key={client.id}>
                        <td>
                          <Link to={`applications/${client.id}`}>{client.name}</Link>
                        </td>
                        <td>{applicationTypeLabel(client.appType)}</td>
                        <td className="mono">{client.clientId}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager label="Applications" pageInfo={clients.pageInfo} onPage={setPage} />
            </>
          )}
        </Loaded>
      )}
    </>
  );
}
