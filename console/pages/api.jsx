// One API, with its tabs: Settings, Permissions, Machine to Machine Applications, Test, Quick Start.
import { ResourceServerDocument } from '../../sdk/generated/graphql';
import { Loaded, MissingPermission, Tabs, useTitle } from '../components';
import { useQuery } from '../data';
import { Link } from '../router';
import { useCan } from '../session';
import { ApiSettings } from './api-settings';
import { ApiPermissions } from './api-permissions';
import { ApiApplications } from './api-applications';
import { ApiTest } from './api-test';
import { ApiQuickStart } from './api-quick-start';

const TABS = [
  { key: 'settings', label: 'Settings', Component: ApiSettings },
  { key: 'permissions', label: 'Permissions', Component: ApiPermissions },
  { key: 'applications', label: 'Machine to Machine Applications', Component: ApiApplications },
  { key: 'test', label: 'Test', Component: ApiTest },
  { key: 'quick-start', label: 'Quick Start', Component: ApiQuickStart },
];

export function ApiPage({ id, tab }) {
  const can = useCan();
  const query = useQuery(ResourceServerDocument, { id }, { skip: !can('read:resource_servers') });
  const current = TABS.find((t) => t.key === tab) ?? TABS[0];
  useTitle(`${query.data?.resourceServer?.name ?? 'API'} · ${current.label}`);
  return (
    <>
      <p className="crumbs">
        <Link to="apis">APIs</Link>
      </p>
      {!can('read:resource_servers') ? (
        <MissingPermission scope="read:resource_servers" action="see this API" />
      ) : (
        <Loaded query={query}>
          {({ resourceServer }) =>
            !resourceServer ? (
              <h1>No such API</h1>
            ) : (
              <>
                <div className="page-head">
                  <h1>
                    {resourceServer.name}
                    {resourceServer.isSystem && <span className="badge">System</span>}
                  </h1>
                  <p className="mono subtle">{resourceServer.identifier}</p>
                </div>
                <Tabs label="API sections" current={current.key} tabs={TABS.map((t) => ({ ...t, route: `apis/${id}/${t.key}` }))} />
                <section aria-label={current.label} className="tab-panel">
                  <current.Component api={resourceServer} reload={query.reload} />
                </section>
              </>
            )
          }
        </Loaded>
      )}
    </>
  );
}
