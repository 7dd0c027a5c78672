// The console's top level: loads the configuration, completes or starts the sign-in, then shows the
// shell (navigation, who is signed in, sign out) around the page of the current route.
import { useEffect, useMemo, useState } from 'react';
import { createManagementClient } from '../sdk/client';
import { accessTokenOf, createUserManager, loadConsoleConfig } from './auth';
import { Alert, Loading } from './components';
import { currentRoute, Link, navigate, useRoute } from './router';
import { SessionProvider, useCan } from './session';
import { useQuery } from './data';
import { UsersDocument } from '../sdk/generated/graphql';
import { Page } from './routes';

const CALLBACK_ROUTE = 'callback';

const NAVIGATION = [
  { section: 'apis', label: 'APIs' },
  { section: 'applications', label: 'Applications' },
  { section: 'users', label: 'Users' },
  { section: 'roles', label: 'Roles' },
  { section: 'signing-keys', label: 'Signing keys' },
  { section: 'audit-log', label: 'Audit log' },
];

export function Console() {
  const [boot, setBoot] = useState({ phase: 'loading' });

  useEffect(() => {
    let manager;
    (async () => {
      let config;
      try {
        config = await loadConsoleConfig();
      } catch {
        setBoot({
          phase: 'failed',
          message: 'The console could not read its configuration from the service. Reload the page to try again.',
        });
        return;
      }
      manager = createUserManager(config);
      manager.events.addUserLoaded((user) => setBoot((b) => (b.phase === 'signed-in' ? { ...b, user } : b)));
      manager.events.addSilentRenewError(() =>
        setBoot({ phase: 'signed-out', config, manager, message: 'Your session has ended. Sign in again.' }),
      );
      if (currentRoute() === CALLBACK_ROUTE) {
        try {
          const user = await manager.signinRedirectCallback();
          navigate(user.state?.returnTo ?? '', { replace: true });
          setBoot({ phase: 'signed-in', config, manager, user });
        } catch (error) {
          navigate('', { replace: true });
          const reason = error?.error === 'access_denied' ? ' Access was denied.' : '';
          setBoot({ phase: 'signed-out', config, manager, message: `Signing in did not complete.${reason} Try again.` });
        }
        return;
      }
      const user = await manager.getUser();
      setBoot(user ? { phase: 'signed-in', config, manager, user } : { phase: 'signed-out', config, manager });
    })();
    return () => manager?.stopSilentRenew();
  }, []);

  if (boot.phase === 'loading')
    return (
      <main className="centered">
        <Loading what="Loading the console…" />
      </main>
    );
  if (boot.phase === 'failed')
    return (
      <main className="centered">
        <h1>apiauth console</h1>
        <Alert>{boot.message}</Alert>
      </main>
    );
  if (boot.phase === 'signed-out') return <SignIn manager={boot.manager} message={boot.message} />;
  return <Shell config={boot.config} manager={boot.manager} user={boot.user} />;
}

function SignIn({ manager, message }) {
  const [pending, setPending] = useState(false);
  const signIn = async () => {
    setPending(true);
    // Back to the page asked for once signed in (a deep link keeps its place).
    await manager.signinRedirect({ state: { returnTo: currentRoute() === CALLBACK_ROUTE ? '' : currentRoute() } });
  };
  return (
    <main className="centered sign-in">
      <h1>apiauth console</h1>
      <p>Manage APIs, applications, users and keys of this authorization server.</p>
      {message && <Alert>{message}</Alert>}
      <button type="button" onClick={signIn} disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </main>
  );
}

function Shell({ config, manager, user }) {
  const route = useRoute();
  const section = route.split('/')[0] || 'apis';
  const session = useMemo(
    () => ({
      client: createManagementClient({ url: `${config.issuer.replace(/\/+$/, '')}/graphql`, getToken: () => accessTokenOf(manager) }),
      scopes: new Set((user.scope ?? '').split(' ').filter(Boolean)),
      issuer: config.issuer,
      audience: config.audience,
      tokenHookTimeoutMs: config.tokenHookTimeoutMs,
      subject: user.profile.sub,
    }),
    [config, manager, user],
  );
  const signOut = async () => {
    await manager.signoutRedirect();
  };
  return (
    <SessionProvider value={session}>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="top">
        <Link to="" className="brand">
          apiauth console
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAVIGATION.map((item) => (
              <li key={item.section}>
                <Link to={item.section} aria-current={item.section === section ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <WhoAmI subject={user.profile.sub} />
          <button type="button" className="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="content" tabIndex={-1}>
        <Page route={route} />
      </main>
    </SessionProvider>
  );
}

/** Who is signed in: the person's email when the token may read users, else "Signed in". */
function WhoAmI({ subject }) {
  const can = useCan();
  const query = useQuery(UsersDocument, { first: 1, filter: { sub: subject } }, { skip: !can('read:users') });
  const email = query.data?.users.nodes[0]?.email;
  return <span className="who">{email ? `Signed in as ${email}` : 'Signed in'}</span>;
}
