// The GraphQL explorer: GraphiQL 4 (documentation explorer and history built in) plus a small
// helper that gets a Management API token. Bundled by scripts/build-explorer.mjs into
// dist/explorer/ and served by src/http/explorer.ts; nothing is loaded from anywhere else.
import { useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { buildSchema } from 'graphql';
import { setNonce } from 'get-nonce';
import { describeExpiry } from './expiry';
import 'graphiql/style.css';
import './explorer.css';

/** Set by the server in a non-executed <script type="application/json"> (the CSP forbids inline scripts). */
const config = JSON.parse(document.getElementById('explorer-config').textContent);
/** Relative paths, resolved against the page: works behind a reverse proxy's path prefix too. */
const graphqlUrl = new URL(config.graphqlPath, document.baseURI).href;
const tokenUrl = new URL(config.tokenPath, document.baseURI).href;
const schemaUrl = new URL(config.schemaPath, document.baseURI).href;
// GraphiQL's dialogs add <style> elements (react-remove-scroll, through get-nonce): the page's CSP
// admits them by this per-response nonce instead of 'unsafe-inline'.
setNonce(config.styleNonce);

const fetcher = createGraphiQLFetcher({ url: graphqlUrl, enableIncrementalDelivery: false });

/**
 * The schema comes from the server's SDL (the committed schema.graphql), never from introspection:
 * it is public while introspection is on, and needs a Management API token when the server runs
 * with INTROSPECTION=off. Resolves to a GraphQLSchema, or null when the server refuses.
 */
async function fetchSchema(authorization) {
  try {
    const response = await fetch(schemaUrl, {
      headers: authorization ? { authorization } : {},
      credentials: 'omit',
      cache: 'no-store',
    });
    return response.ok ? buildSchema(await response.text()) : null;
  } catch {
    return null;
  }
}

/** The Authorization value of the headers JSON, if it has one. */
function authorizationOf(headersText) {
  try {
    const headers = JSON.parse(headersText || '{}');
    const name = Object.keys(headers ?? {}).find((key) => key.toLowerCase() === 'authorization');
    return name && typeof headers[name] === 'string' ? headers[name] : undefined;
  } catch {
    return undefined;
  }
}

const DEFAULT_QUERY = `# Welcome to the apiauth GraphQL explorer.
#
# 1. Get a Management API token above (client id and secret of a client granted
#    management scopes), or paste "Authorization": "Bearer …" into Headers below.
# 2. Run a query with Ctrl-Enter (or the ▶ button).
#
# The documentation explorer (book icon, left) lists every type and field.

query ResourceServers {
  resourceServers(first: 10) {
    totalCount
    nodes {
      id
      name
      identifier
      scopes {
        value
        description
      }
    }
  }
}
`;

/**
 * GraphiQL keeps its tabs, query history and (optionally) headers in localStorage. Headers carry
 * bearer tokens, and a token in localStorage outlives the tab and is readable by any script on this
 * origin, so headers never reach storage: `shouldPersistHeaders={false}` keeps them out of the tab
 * state, and this wrapper also strips them from what the history plugin saves (it stores each
 * run's headers regardless of that setting). Headers live in memory only, for this page's life.
 */
const NAMESPACE = 'graphiql:';
const withoutHeaders = (value) => {
  try {
    return JSON.stringify(JSON.parse(value), (key, v) => (key === 'headers' ? undefined : v));
  } catch {
    return value;
  }
};
function createHeaderFreeStorage() {
  let local;
  try {
    local = window.localStorage;
    local.getItem(`${NAMESPACE}probe`);
  } catch {
    // Storage disabled: keep everything in memory, for this page's life.
    const memory = new Map();
    return {
      getItem: (key) => memory.get(key) ?? null,
      setItem: (key, value) => memory.set(key, String(value)),
      removeItem: (key) => memory.delete(key),
      clear: () => memory.clear(),
      get length() {
        return memory.size;
      },
    };
  }
  const ownKeys = () => Object.keys(local).filter((key) => key.startsWith(NAMESPACE));
  // Tokens saved by an earlier version of this page (or by GraphiQL elsewhere on this origin).
  local.removeItem(`${NAMESPACE}headers`);
  return {
    getItem: (key) => (key === `${NAMESPACE}headers` ? null : local.getItem(key)),
    setItem(key, value) {
      if (key === `${NAMESPACE}headers`) return;
      local.setItem(key, withoutHeaders(value));
    },
    removeItem: (key) => local.removeItem(key),
    clear: () => ownKeys().forEach((key) => local.removeItem(key)),
    get length() {
      return ownKeys().length;
    },
  };
}
const storage = createHeaderFreeStorage();

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before the Basic encoding. */
const formEncode = (value) => encodeURIComponent(value).replace(/%20/g, '+');
const basicAuth = (id, secret) => {
  const bytes = new TextEncoder().encode(`${formEncode(id)}:${formEncode(secret)}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
};

/** Puts `Authorization: Bearer <token>` into the headers JSON, keeping any other header. */
function withBearer(headersText, token) {
  let headers = {};
  try {
    const parsed = JSON.parse(headersText || '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) headers = parsed;
  } catch {
    // Not JSON (half-edited): start over with just the token.
  }
  for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
  return JSON.stringify({ Authorization: `Bearer ${token}`, ...headers }, null, 2);
}

function TokenHelper({ onToken, schemaMissing }) {
  const clientIdRef = useRef(null);
  const secretRef = useRef(null);
  const [status, setStatus] = useState({ kind: 'idle' });

  const submit = async (event) => {
    event.preventDefault();
    const clientId = clientIdRef.current.value.trim();
    const secret = secretRef.current.value;
    if (!clientId || !secret) {
      setStatus({ kind: 'error', message: 'Enter the client id and the client secret.' });
      return;
    }
    setStatus({ kind: 'busy' });
    try {
      const response = await fetch(tokenUrl, {
        method: 'POST',
        headers: {
          authorization: basicAuth(clientId, secret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', audience: config.audience }).toString(),
        credentials: 'omit',
        cache: 'no-store',
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok || typeof body.access_token !== 'string') {
        const message = body.error_description || body.error || `HTTP ${response.status}`;
        setStatus({ kind: 'error', message: `Token request failed: ${message}` });
        return;
      }
      // The secret is never kept: it leaves the form as soon as it has been used.
      secretRef.current.value = '';
      const expiresAt = typeof body.expires_in === 'number' ? new Date(Date.now() + body.expires_in * 1000) : null;
      onToken(body.access_token);
      setStatus({ kind: 'ok', expiresAt, scope: body.scope });
    } catch (error) {
      setStatus({ kind: 'error', message: `Token request failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  };

  return (
    <form className="explorer-token" onSubmit={submit} autoComplete="off" aria-label="Management API token">
      <span className="explorer-title">apiauth GraphQL explorer</span>
      <label>
        Client ID
        <input ref={clientIdRef} name="client_id" type="text" autoComplete="off" spellCheck={false} required />
      </label>
      <label>
        Client secret
        <input ref={secretRef} name="client_secret" type="password" autoComplete="off" required />
      </label>
      <button type="submit" disabled={status.kind === 'busy'}>
        Get token
      </button>
      <span className={`explorer-status explorer-status-${status.kind}`} role="status" aria-live="polite">
        {status.kind === 'busy' && 'Requesting a token…'}
        {status.kind === 'ok' && `Token set in Headers${status.expiresAt ? `, valid until ${describeExpiry(status.expiresAt)}` : ''}.`}
        {status.kind === 'error' && status.message}
        {status.kind === 'idle' &&
          `Gets a token for ${config.audience} with client_credentials.${schemaMissing ? ' The schema (documentation, completion) loads with it.' : ''}`}
      </span>
    </form>
  );
}

function Explorer() {
  // `headers` is controlled only when the helper sets a token; `currentHeaders` follows the editor
  // so other headers the user typed are kept.
  const currentHeaders = useRef('');
  const [headers, setHeaders] = useState(undefined);
  // undefined: loading; null: refused (INTROSPECTION=off and no token yet).
  const [schema, setSchema] = useState(undefined);
  const schemaLoaded = useRef(false);
  const headersTimer = useRef(undefined);
  const loadSchema = useCallback(async (authorization) => {
    if (schemaLoaded.current) return;
    const loaded = await fetchSchema(authorization);
    if (schemaLoaded.current) return;
    schemaLoaded.current = loaded !== null;
    setSchema(loaded);
  }, []);
  useEffect(() => {
    loadSchema(undefined);
  }, [loadSchema]);
  const onEditHeaders = useCallback(
    (value) => {
      currentHeaders.current = value;
      // A token pasted into Headers: once typing pauses, try it for the schema if it is still missing.
      clearTimeout(headersTimer.current);
      if (schemaLoaded.current) return;
      headersTimer.current = setTimeout(() => {
        const authorization = authorizationOf(value);
        if (authorization) loadSchema(authorization);
      }, 500);
    },
    [loadSchema],
  );
  const onToken = useCallback(
    (token) => {
      const next = withBearer(currentHeaders.current, token);
      currentHeaders.current = next;
      setHeaders(next);
      loadSchema(`Bearer ${token}`);
    },
    [loadSchema],
  );

  return (
    <div className="explorer">
      <TokenHelper onToken={onToken} schemaMissing={schema === null} />
      <div className="explorer-graphiql">
        <GraphiQL
          fetcher={fetcher}
          schema={schema ?? null}
          defaultQuery={DEFAULT_QUERY}
          headers={headers}
          onEditHeaders={onEditHeaders}
          isHeadersEditorEnabled
          shouldPersistHeaders={false}
          defaultEditorToolsVisibility="headers"
          storage={storage}
        />
      </div>
    </div>
  );
}

createRoot(document.getElementById('explorer')).render(<Explorer />);
