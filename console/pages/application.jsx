// One application, with its tabs: Settings, Credentials, APIs.
import { ClientDocument } from '../../sdk/generated/graphql';
import { applicationTypeLabel } from '../app-types';
import { Loaded, MissingPermission, Tabs, useTitle } from '../components';
import { useQuery } from '../data';
import { Link } from '../router';
import { useCan } from '../session';
import { ApplicationSettings } from './application-settings';
import { ApplicationCredentials } from './application-credentials';
import { ApplicationApis } from './application-apis';

const TABS = [
  { key: 'settings', label: 'Settings', Component: ApplicationSettings },
  { key: 'credentials', label: 'Credentials', Component: ApplicationCredentials },
  { key: 'apis', label: 'APIs', Component: ApplicationApis },
];

export function ApplicationPage({ id, tab }) {
  const can = useCan();
  const query = useQuery(ClientDocument, { id }, { skip: !can('read:clients') });
  const current = TABS.find((t) => t.key === tab) ?? TABS[0];
  useTitle(`${query.data?.client?.name ?? 'Application'} · ${current.label}`);
  return (
    <>
      <p className="crumbs">
        <Link to="applications">Applications</Link>
      </p>
      {!can('read:clients') ? (
        <MissingPermission scope="read:clients" action="see this application" />
      ) : (
        <Loaded query={query}>
          {({ client }) =>
            !client ? (
              <h1>No such application</h1>
            ) : (
              <>
                <div className="page-head">
                  <h1>{client.name}</h1>
                  <p className="subtle">
                    {applicationTypeLabel(client.appType)} · Client ID <span className="mono">{client.clientId}</span>
                  </p>
                </div>
                <Tabs
                  label="Application sections"
                  current={current.key}
                  tabs={TABS.map((t) => ({ ...t, route: `applications/${id}/${t.key}` }))}
                />
                <section aria-label={current.label} className="tab-panel">
                  <current.Component client={client} reload={query.reload} />
                </section>
              </>
            )
          }
        </Loaded>
      )}
    </>
  );
}
