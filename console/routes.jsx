// Which page each route shows. Routes are the URL after /console/.
import { ApisPage } from './pages/apis';
import { ApiCreatePage } from './pages/api-create';
import { ApiPage } from './pages/api';
import { ApplicationsPage } from './pages/applications';
import { ApplicationCreatePage } from './pages/application-create';
import { ApplicationPage } from './pages/application';
import { AuditLogPage } from './pages/audit-log';
import { SigningKeysPage } from './pages/signing-keys';
import { UsersPage } from './pages/users';
import { UserPage } from './pages/user';
import { RolesPage } from './pages/roles';
import { Link } from './router';
import { useTitle } from './components';

export function Page({ route }) {
  const [section, id, tab] = route.split('/').map(decodeURIComponent);
  switch (section) {
    case '':
    case 'apis':
      if (!id) return <ApisPage />;
      if (id === 'new') return <ApiCreatePage />;
      return <ApiPage id={id} tab={tab ?? 'settings'} />;
    case 'applications':
      if (!id) return <ApplicationsPage />;
      if (id === 'new') return <ApplicationCreatePage />;
      return <ApplicationPage id={id} tab={tab ?? 'settings'} />;
    case 'users':
      return id ? <UserPage id={id} /> : <UsersPage />;
    case 'roles':
      return <RolesPage />;
    case 'signing-keys':
      return <SigningKeysPage />;
    case 'audit-log':
      return <AuditLogPage />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  useTitle('Page not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no console page at this address. <Link to="apis">Go to the APIs.</Link>
      </p>
    </>
  );
}
