// Audit log: every management action (and refusal), newest first, filtered by operation, actor,
// target and time, paged with the connection's cursors.
import { useState } from 'react';
import { AuditEventsDocument } from '../../sdk/generated/graphql';
import { formatDate, Loaded, MissingPermission, PAGE_SIZE, Pager, TextField, useTitle } from '../components';
import { useQuery } from '../data';
import { useCan } from '../session';

const EMPTY = { operation: '', actor: '', targetId: '', since: '', until: '' };

/** The filter the API takes: empty fields left out, local times as ISO instants. */
function filterOf(form) {
  const filter = {};
  for (const key of ['operation', 'actor', 'targetId']) if (form[key].trim()) filter[key] = form[key].trim();
  for (const key of ['since', 'until']) if (form[key]) filter[key] = new Date(form[key]).toISOString();
  return filter;
}

const SUMMARY_VALUE_MAX = 120;
const shorten = (text) => (text.length > SUMMARY_VALUE_MAX ? `${text.slice(0, SUMMARY_VALUE_MAX)}…` : text);

/** What an event changed, as key: value lines (the service never records secrets in it). */
function Summary({ summary }) {
  const entries = Object.entries(summary ?? {});
  if (entries.length === 0) return null;
  return (
    <ul className="summary">
      {entries.map(([key, value]) => (
        <li key={key}>
          <span className="subtle">{key}:</span>{' '}
          <span className="mono">{shorten(typeof value === 'string' ? value : JSON.stringify(value))}</span>
        </li>
      ))}
    </ul>
  );
}

/** Newest first: the last page of the (oldest-first) connection, shown reversed. */
const NEWEST = { last: PAGE_SIZE };

export function AuditLogPage() {
  useTitle('Audit log');
  const can = useCan();
  const [form, setForm] = useState(EMPTY);
  const [filter, setFilter] = useState({});
  const [page, setPage] = useState(NEWEST);
  const query = useQuery(AuditEventsDocument, { ...page, filter }, { skip: !can('read:audit_events') });
  const set = (key) => (value) => setForm((f) => ({ ...f, [key]: value }));
  const apply = (event) => {
    event.preventDefault();
    setFilter(filterOf(form));
    setPage(NEWEST);
  };
  const clear = () => {
    setForm(EMPTY);
    setFilter({});
    setPage(NEWEST);
  };

  return (
    <>
      <h1>Audit log</h1>
      <p className="lead">Every change made through the Management API (this console included), and every refused attempt.</p>
      {!can('read:audit_events') ? (
        <MissingPermission scope="read:audit_events" action="read the audit log" />
      ) : (
        <>
          <form onSubmit={apply} className="filters" aria-label="Filter events">
            <TextField
              label="Operation"
              name="operation"
              value={form.operation}
              onChange={set('operation')}
              placeholder="e.g. clientCreate"
            />
            <TextField label="Actor" name="actor" value={form.actor} onChange={set('actor')} hint="A subject or a client ID." />
            <TextField label="Target ID" name="targetId" value={form.targetId} onChange={set('targetId')} />
            <TextField label="Since" name="since" type="datetime-local" value={form.since} onChange={set('since')} />
            <TextField label="Until" name="until" type="datetime-local" value={form.until} onChange={set('until')} />
            <div className="actions">
              <button type="submit">Apply filters</button>
              <button type="button" className="secondary" onClick={clear}>
                Clear filters
              </button>
            </div>
          </form>
          <Loaded query={query}>
            {({ auditEvents }) => (
              <>
                <p role="status">
                  {auditEvents.totalCount} event{auditEvents.totalCount === 1 ? '' : 's'}
                  {query.loading ? ' (updating…)' : ''}
                </p>
                <div className="table-wrap" tabIndex={0}>
                  <table className="events">
                    <caption className="visually-hidden">Audit events</caption>
                    <thead>
                      <tr>
                        <th scope="col">Time</th>
                        <th scope="col">Operation</th>
                        <th scope="col">Outcome</th>
                        <th scope="col">Actor</th>
                        <th scope="col">Summary</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...auditEvents.nodes].reverse().map((e) => (
                        <tr key={e.id}>
                          <td>{formatDate(e.occurredAt)}</td>
                          <td className="mono">{e.operation}</td>
                          <td>{e.outcome}</td>
                          <td>
                            {e.actor?.subject && <div className="mono">{e.actor.subject}</div>}
                            {e.actor?.clientId && e.actor.clientId !== e.actor.subject && (
                              <div className="mono subtle">via {e.actor.clientId}</div>
                            )}
                          </td>
                          <td>
                            <Summary summary={e.summary} />
                            {e.targetType && (
                              <div className="subtle">
                                {e.targetType} <span className="mono">{e.targetId}</span>
                              </div>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager label="Audit log" pageInfo={auditEvents.pageInfo} onPage={setPage} newestFirst />
              </>
            )}
          </Loaded>
        </>
      )}
    </>
  );
}
