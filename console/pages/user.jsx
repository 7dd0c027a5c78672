// One user: block or unblock, set the password, assign roles, see the effective permissions, and
// revoke their consents and refresh tokens.
import { useState } from 'react';
import {
  RefreshTokenRevokeDocument,
  RefreshTokensDocument,
  RolesDocument,
  UserDocument,
  UserGrantDeleteDocument,
  UserGrantsDocument,
  UserPasswordSetDocument,
  UserRolesAssignDocument,
  UserRolesDocument,
  UserRolesRemoveDocument,
  UserUpdateDocument,
} from '../../sdk/generated/graphql';
import { CheckboxField, formatDate, FormErrors, Loaded, MissingPermission, Requires, TextField, useTitle } from '../components';
import { useMutation, useQuery } from '../data';
import { Link } from '../router';
import { useCan } from '../session';

export function UserPage({ id }) {
  const can = useCan();
  const query = useQuery(UserDocument, { id }, { skip: !can('read:users') });
  useTitle(query.data?.user?.email ?? 'User');
  return (
    <>
      <p className="crumbs">
        <Link to="users">Users</Link>
      </p>
      {!can('read:users') ? (
        <MissingPermission scope="read:users" action="see this user" />
      ) : (
        <Loaded query={query}>
          {({ user }) =>
            !user ? (
              <h1>No such user</h1>
            ) : (
              <>
                <div className="page-head">
                  <h1>{user.email}</h1>
                  <p className="subtle">
                    {user.name ? `${user.name} · ` : ''}subject <span className="mono">{user.sub}</span>
                    {user.blocked && <span className="badge danger">Blocked</span>}
                  </p>
                </div>
                <Requires scope="update:users" action="block users or set their password">
                  <Account user={user} reload={query.reload} />
                </Requires>
                <Roles user={user} />
                <Consents user={user} />
                <RefreshTokens user={user} />
              </>
            )
          }
        </Loaded>
      )}
    </>
  );
}

function Account({ user, reload }) {
  const [update, updateState] = useMutation(UserUpdateDocument);
  const [setPassword, passwordState] = useMutation(UserPasswordSetDocument);
  const [password, setPasswordValue] = useState('');
  const [done, setDone] = useState('');
  const toggleBlocked = async () => {
    if (await update({ id: user.id, input: { blocked: !user.blocked } })) reload();
  };
  const submitPassword = async (event) => {
    event.preventDefault();
    setDone('');
    if (await setPassword({ id: user.id, input: { password } })) {
      setPasswordValue('');
      setDone('Password set.');
    }
  };
  return (
    <section className="card" aria-labelledby="account">
      <h2 id="account">Account</h2>
      <FormErrors state={updateState} />
      <button type="button" className={user.blocked ? '' : 'danger'} onClick={toggleBlocked} disabled={updateState.pending}>
        {user.blocked ? 'Unblock user' : 'Block user'}
      </button>
      <form onSubmit={submitPassword} noValidate className="form">
        <FormErrors state={passwordState} fields={['password']} />
        <TextField
          label="New password"
          name="password"
          type="password"
          value={password}
          onChange={setPasswordValue}
          state={passwordState}
          autoComplete="new-password"
          hint="8 to 256 characters, not the email."
        />
        <button type="submit" disabled={passwordState.pending}>
          Set password
        </button>
        <span role="status">{done}</span>
      </form>
    </section>
  );
}

function Roles({ user }) {
  const can = useCan();
  const readable = can('read:roles');
  const held = useQuery(UserRolesDocument, { id: user.id, first: 100 }, { skip: !readable });
  const all = useQuery(RolesDocument, { first: 100 }, { skip: !readable });
  const [assign, assignState] = useMutation(UserRolesAssignDocument);
  const [remove, removeState] = useMutation(UserRolesRemoveDocument);
  const toggle = async (role, on) => {
    const run = on ? assign : remove;
    if (await run({ id: user.id, roleIds: [role.id] })) held.reload();
  };
  return (
    <section className="card" aria-labelledby="roles">
      <h2 id="roles">Roles and permissions</h2>
      {!readable ? (
        <MissingPermission scope="read:roles" action="see this user's roles" />
      ) : (
        <Loaded query={held}>
          {(heldData) => (
            <Loaded query={all}>
              {(allData) => {
                const holds = new Set(heldData.user?.roles.nodes.map((r) => r.id));
                return (
                  <>
                    <FormErrors state={assignState} />
                    <FormErrors state={removeState} />
                    <Requires scope="update:roles" action="assign roles">
                      <fieldset>
                        <legend>Roles held</legend>
                        {allData.roles.nodes.length === 0 && <p>No role exists yet.</p>}
                        {allData.roles.nodes.map((role) => (
                          <CheckboxField
                            key={role.id}
                            label={role.name}
                            checked={holds.has(role.id)}
                            onChange={(on) => toggle(role, on)}
                            hint={role.description || undefined}
                          />
                        ))}
                      </fieldset>
                    </Requires>
                    <h3>Effective permissions</h3>
                    {heldData.user?.permissions.length ? (
                      <ul className="plain mono">
                        {heldData.user.permissions.map((p) => (
                          <li key={`${p.resourceServerIdentifier} ${p.scope}`}>
                            {p.scope} <span className="subtle">({p.resourceServerIdentifier})</span>
                          </li>
                        ))}
                      </ul>
                    ) : (
                      <p>None.</p>
                    )}
                  </>
                );
              }}
            </Loaded>
          )}
        </Loaded>
      )}
    </section>
  );
}

function Consents({ user }) {
  const can = useCan();
  const query = useQuery(UserGrantsDocument, { first: 100, filter: { user: user.id } }, { skip: !can('read:grants') });
  const [remove, state] = useMutation(UserGrantDeleteDocument);
  const revoke = async (grant) => {
    if (await remove({ id: grant.id })) query.reload();
  };
  return (
    <section className="card" aria-labelledby="consents">
      <h2 id="consents">Consents</h2>
      {!can('read:grants') ? (
        <MissingPermission scope="read:grants" action="see this user's consents" />
      ) : (
        <Loaded query={query}>
          {({ userGrants }) =>
            userGrants.nodes.length === 0 ? (
              <p>None.</p>
            ) : (
              <>
                <FormErrors state={state} />
                <ul className="plain">
                  {userGrants.nodes.map((g) => (
                    <li key={g.id}>
                      {g.client?.name ?? 'An application'} → {g.resourceServer?.name ?? 'an API'}:{' '}
                      <span className="mono">{g.scopes.join(' ')}</span>{' '}
                      {can('delete:grants') ? (
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Revoke the consent of ${g.client?.name ?? 'this application'}`}
                          onClick={() => revoke(g)}
                        >
                          Revoke
                        </button>
                      ) : null}
                    </li>
                  ))}
                </ul>
                {!can('delete:grants') && <MissingPermission scope="delete:grants" action="revoke consents" />}
              </>
            )
          }
        </Loaded>
      )}
    </section>
  );
}

function RefreshTokens({ user }) {
  const can = useCan();
  const query = useQuery(RefreshTokensDocument, { first: 100, filter: { user: user.id } }, { skip: !can('read:refresh_tokens') });
  const [revoke, state] = useMutation(RefreshTokenRevokeDocument);
  const revokeToken = async (token) => {
    if (await revoke({ id: token.id })) query.reload();
  };
  return (
    <section className="card" aria-labelledby="refresh-tokens">
      <h2 id="refresh-tokens">Refresh tokens</h2>
      {!can('read:refresh_tokens') ? (
        <MissingPermission scope="read:refresh_tokens" action="see this user's refresh tokens" />
      ) : (
        <Loaded query={query}>
          {({ refreshTokens }) =>
            refreshTokens.nodes.length === 0 ? (
              <p>None.</p>
            ) : (
              <>
                <FormErrors state={state} />
                <ul className="plain">
                  {refreshTokens.nodes.map((t) => (
                    <li key={t.id}>
                      {t.client?.name ?? 'An application'} → {t.resourceServer?.name ?? 'an API'}, last used {formatDate(t.lastUsedAt)}
                      {t.revokedAt ? ` · revoked ${formatDate(t.revokedAt)}` : ''}{' '}
                      {!t.revokedAt && can('delete:refresh_tokens') && (
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Revoke the refresh token of ${t.client?.name ?? 'this application'}`}
                          onClick={() => revokeToken(t)}
                        >
                          Revoke
                        </button>
                      )}
                    </li>
                  ))}
                </ul>
                {!can('delete:refresh_tokens') && <MissingPermission scope="delete:refresh_tokens" action="revoke refresh tokens" />}
              </>
            )
          }
        </Loaded>
      )}
    </section>
  );
}
