// An API's Test tab: pick an authorized application, get a token for it (accessTokenIssue, no
// secret needed), see its decoded header and payload, and copy curl commands that do the same.
import { useState } from 'react';
import { AccessTokenIssueDocument, ResourceServerClientGrantsDocument } from '../../sdk/generated/graphql';
import { CopyButton, FormErrors, Loaded, MissingPermission, Requires, SelectField } from '../components';
import { useMutation, useQuery } from '../data';
import { decodeJwt } from '../jwt';
import { useCan, useSession } from '../session';

/** Quotes a value for a POSIX shell. */
const shellQuote = (value) => `'${String(value).replace(/'/g, `'\\''`)}'`;

export function ApiTest({ api }) {
  const can = useCan();
  const grants = useQuery(ResourceServerClientGrantsDocument, { id: api.id, first: 100 }, { skip: !can('read:client_grants') });
  if (!can('read:client_grants')) return <MissingPermission scope="read:client_grants" action="see which applications may get tokens" />;
  return (
    <Loaded query={grants}>
      {({ resourceServer }) => {
        const authorized = resourceServer.clientGrants.nodes.filter((g) => g.client);
        if (authorized.length === 0)
          return <p>No application is authorized for this API yet: authorize one on the Machine to Machine Applications tab.</p>;
        return (
          <Requires scope="create:tokens" action="get test tokens">
            <TestToken api={api} grants={authorized} />
          </Requires>
        );
      }}
    </Loaded>
  );
}

function TestToken({ api, grants }) {
  const { issuer } = useSession();
  const [clientId, setClientId] = useState(grants[0].client.id);
  const [issue, state] = useMutation(AccessTokenIssueDocument);
  const [result, setResult] = useState(null);
  const grant = grants.find((g) => g.client.id === clientId) ?? grants[0];
  const tokenUrl = `${issuer.replace(/\/+$/, '')}/oauth/token`;

  const submit = async (event) => {
    event.preventDefault();
    setResult(null);
    const payload = await issue({ input: { clientId: grant.client.id, resourceServerId: api.id } });
    if (payload) setResult({ ...payload, decoded: decodeJwt(payload.accessToken) });
  };

  const curlToken = [
    `curl --request POST --url ${shellQuote(tokenUrl)}`,
    `  --header 'content-type: application/x-www-form-urlencoded'`,
    `  --data grant_type=client_credentials`,
    `  --data client_id=${shellQuote(grant.client.clientId)}`,
    `  --data client_secret="$CLIENT_SECRET"`,
    `  --data audience=${shellQuote(api.identifier)}`,
  ].join(' \\\n');
  const curlApi = [`curl --url ${shellQuote(api.identifier)}`, `  --header "authorization: Bearer $ACCESS_TOKEN"`].join(' \\\n');

  return (
    <>
      <form onSubmit={submit} className="form">
        <FormErrors state={state} fields={['clientId']} />
        <SelectField
          label="Application"
          name="clientId"
          value={grant.client.id}
          onChange={setClientId}
          options={grants.map((g) => ({ value: g.client.id, label: `${g.client.name} (${g.client.clientId})` }))}
          state={state}
          hint={`It gets the permissions it is authorized for: ${grant.scopes.join(' ') || 'none'}.`}
        />
        <button type="submit" disabled={state.pending}>
          {state.pending ? 'Getting a token…' : 'Get token'}
        </button>
      </form>
      {result && (
        <section aria-label="Test token" className="token-result">
          <h2>Access token</h2>
          <p>
            {result.tokenType}, valid {result.expiresIn} seconds; scope: <span className="mono">{result.scope || '(none)'}</span>
          </p>
          <div className="secret-row">
            <label htmlFor="test-access-token" className="visually-hidden">
              Access token
            </label>
            <textarea id="test-access-token" className="token mono" readOnly rows={5} value={result.accessToken} />
            <CopyButton value={result.accessToken} label="access token" />
          </div>
          <div className="columns">
            <figure>
              <figcaption>Decoded header</figcaption>
              <pre tabIndex={0}>{JSON.stringify(result.decoded.header, null, 2)}</pre>
            </figure>
            <figure>
              <figcaption>Decoded payload</figcaption>
              <pre tabIndex={0}>{JSON.stringify(result.decoded.payload, null, 2)}</pre>
            </figure>
          </div>
        </section>
      )}
      <h2>Get a token with curl</h2>
      <Snippet label="curl: get a token from /oauth/token" code={curlToken} />
      <h2>Call the API with it</h2>
      <Snippet label="curl: call the API" code={curlApi} />
    </>
  );
}

/** Code to copy: a figure named by its caption. */
export function Snippet({ label, code }) {
  return (
    <div className="snippet">
      <figure>
        <figcaption>{label}</figcaption>
        <pre tabIndex={0}>
          <code>{code}</code>
        </pre>
      </figure>
      <CopyButton value={code} label={label} />
    </div>
  );
}
