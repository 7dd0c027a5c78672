// Users: the built-in user directory; search by email, create a user.
import { useState } from 'react';
import { UserCreateDocument, UsersDocument } from '../../sdk/generated/graphql';
import { FIRST_PAGE, formatDate, FormErrors, Loaded, MissingPermission, Pager, Requires, TextField, useTitle } from '../components';
import { useMutation, useQuery } from '../data';
import { Link, navigate } from '../router';
import { useCan } from '../session';

export function UsersPage() {
  useTitle('Users');
  const can = useCan();
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState({});
  const [page, setPage] = useState(FIRST_PAGE);
  const query = useQuery(UsersDocument, { ...page, filter }, { skip: !can('read:users') });
  const apply = (event) => {
    event.preventDefault();
    setFilter(search.trim() ? { email: search.trim() } : {});
    setPage(FIRST_PAGE);
  };
  return (
    <>
      <h1>Users</h1>
      <p className="lead">
        People who sign in with this service. Their roles decide what they may do in APIs with RBAC, and in this console.
      </p>
      <Requires scope="create:users" action="create users">
        <CreateUser />
      </Requires>
      {!can('read:users') ? (
        <MissingPermission scope="read:users" action="see the users" />
      ) : (
        <>
          <form onSubmit={apply} className="filters" role="search" aria-label="Users">
            <TextField label="Email" name="email" type="search" value={search} onChange={setSearch} hint="The whole address." />
            <div className="actions">
              <button type="submit">Search</button>
            </div>
          </form>
          <Loaded query={query}>
            {({ users }) => (
              <>
                <div className="table-wrap" tabIndex={0}>
                  <table>
                    <caption className="visually-hidden">Users ({users.totalCount})</caption>
                    <thead>
                      <tr>
                        <th scope="col">Email</th>
                        <th scope="col">Name</th>
                        <th scope="col">Status</th>
                        <th scope="col">Last sign-in</th>
                      </tr>
                    </thead>
                    <tbody>
                      {users.nodes.map((u) => (
                        <tr key={u.id}>
                          <td>
                            <Link to={`users/${u.id}`}>{u.email}</Link>
                          </td>
                          <td>{u.name ?? ''}</td>
                          <td>{u.blocked ? <span className="badge danger">Blocked</span> : 'Active'}</td>
                          <td>{formatDate(u.lastLoginAt)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager label="Users" pageInfo={users.pageInfo} onPage={setPage} />
              </>
            )}
          </Loaded>
        </>
      )}
    </>
  );
}

function CreateUser() {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [create, state] = useMutation(UserCreateDocument);
  const submit = async (event) => {
    event.preventDefault();
    const payload = await create({ input: { email, name: name || undefined, password: password || undefined } });
    if (payload) navigate(`users/${payload.user.id}`);
  };
  return (
    <details className="card">
      <summary>Create a user</summary>
      <form onSubmit={submit} noValidate className="form">
        <FormErrors state={state} fields={['email', 'name', 'password']} />
        <TextField label="Email" name="email" type="email" value={email} onChange={setEmail} state={state} autoComplete="off" />
        <TextField label="Name" name="name" value={name} onChange={setName} state={state} />
        <TextField
          label="Password"
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          state={state}
          autoComplete="new-password"
          hint="8 to 256 characters, not the email. Leave empty to set it later."
        />
        <button type="submit" disabled={state.pending}>
          {state.pending ? 'Creating…' : 'Create user'}
        </button>
      </form>
    </details>
  );
}
