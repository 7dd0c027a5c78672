// Shared pieces of the pages: labelled fields, announced errors, loading states, the notice for a
// missing permission, copy buttons, paging.
import { useEffect, useId, useState } from 'react';
import { errorsOf, otherErrors } from './errors';
import { useCan } from './session';
import { Link } from './router';

/** An error, announced by screen readers as it appears. */
export function Alert({ children }) {
  return (
    <div role="alert" className="alert">
      {children}
    </div>
  );
}

export function Loading({ what = 'Loading…' }) {
  return (
    <p role="status" className="loading">
      {what}
    </p>
  );
}

/** A query's loading state or error; renders `children(data)` once loaded. */
export function Loaded({ query, children }) {
  // A reload keeps showing the last data (and the state of the forms inside) until the new arrives.
  if (query.data)
    return (
      <>
        {query.error && <Alert>{query.error}</Alert>}
        {children(query.data)}
      </>
    );
  if (query.error) return <Alert>{query.error}</Alert>;
  return <Loading />;
}

/** A mutation's refusal: the request error, or the userErrors not shown next to a field of `fields`. */
export function FormErrors({ state, fields = [] }) {
  const messages = state.error ? [state.error] : otherErrors(state.userErrors, fields);
  if (messages.length === 0) return null;
  return (
    <Alert>
      {messages.map((message) => (
        <p key={message}>{message}</p>
      ))}
    </Alert>
  );
}

/** A labelled control with its hint and its userErrors (role="alert"), tied by aria-describedby. */
export function Field({ label, name, state, hint, children }) {
  const id = useId();
  const errors = state ? errorsOf(state.userErrors, name) : [];
  const described = [hint ? `${id}-hint` : null, errors.length ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': described, 'aria-invalid': errors.length > 0 || undefined, name })}
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {errors.length > 0 && (
        <p id={`${id}-error`} role="alert" className="field-error">
          {errors.join(' ')}
        </p>
      )}
    </div>
  );
}

export function TextField({ label, name, value, onChange, state, hint, type = 'text', ...rest }) {
  return (
    <Field label={label} name={name} state={state} hint={hint}>
      {(props) => <input type={type} value={value} onChange={(e) => onChange(e.target.value)} {...props} {...rest} />}
    </Field>
  );
}

export function SelectField({ label, name, value, onChange, options, state, hint, ...rest }) {
  return (
    <Field label={label} name={name} state={state} hint={hint}>
      {(props) => (
        <select value={value} onChange={(e) => onChange(e.target.value)} {...props} {...rest}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A checkbox with its label after it; `hint` explains what it does. */
export function CheckboxField({ label, checked, onChange, hint, ...rest }) {
  const id = useId();
  return (
    <div className="checkbox">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
        {...rest}
      />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** The sentence shown where a part of a page needs permissions the person's roles lack. */
export function MissingPermission({ scope, action }) {
  const scopes = [].concat(scope);
  return (
    <p className="missing-permission">
      To {action}, you need the{' '}
      {scopes.map((s, i) => (
        <span key={s}>
          {i > 0 && (i === scopes.length - 1 ? ' and ' : ', ')}
          <code>{s}</code>
        </span>
      ))}{' '}
      permission{scopes.length > 1 ? 's' : ''}, which your roles do not grant.
    </p>
  );
}

/**
 * A part of a page that needs `scope` (one or several): shown disabled (every control of it) with
 * a sentence naming the missing permissions when the person's token lacks them.
 */
export function Requires({ scope, action, children }) {
  const can = useCan();
  const missing = [].concat(scope).filter((s) => !can(s));
  if (missing.length === 0) return children;
  return (
    <div className="requires">
      <MissingPermission scope={missing} action={action} />
      <fieldset disabled className="bare">
        <legend className="visually-hidden">{`Unavailable: ${action}`}</legend>
        {children}
      </fieldset>
    </div>
  );
}

/** Copies `value` to the clipboard; says so once done. `label` names what it copies. */
export function CopyButton({ value, label }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <>
      <button type="button" className="secondary" onClick={copy} aria-label={`Copy ${label}`}>
        Copy
      </button>
      <span role="status" className="copied">
        {copied ? 'Copied' : ''}
      </span>
    </>
  );
}

/** A secret shown once, right after it was made, in a read-only field to select or copy. */
export function SecretOnce({ label, value }) {
  const id = useId();
  return (
    <div className="secret" role="region" aria-labelledby={`${id}-title`}>
      <p id={`${id}-title`}>
        <strong>{label}</strong> — shown once: copy it now, it cannot be read again.
      </p>
      <div className="secret-row">
        <label htmlFor={id} className="visually-hidden">
          {label}
        </label>
        <input id={id} className="secret-value mono" readOnly value={value} onFocus={(e) => e.target.select()} />
        <CopyButton value={value} label={label.toLowerCase()} />
      </div>
    </div>
  );
}

/**
 * Previous / next page of a connection (keyset cursors). `newestFirst`: the page is shown reversed,
 * so the buttons read "Newer" (after the end cursor) and "Older" (before the start cursor).
 */
export function Pager({ pageInfo, onPage, label, newestFirst = false }) {
  if (!pageInfo.hasNextPage && !pageInfo.hasPreviousPage) return null;
  const back = (
    <button
      type="button"
      className="secondary"
      disabled={!pageInfo.hasPreviousPage}
      onClick={() => onPage({ last: PAGE_SIZE, before: pageInfo.startCursor })}
    >
      {newestFirst ? 'Older' : 'Previous page'}
    </button>
  );
  const forward = (
    <button
      type="button"
      className="secondary"
      disabled={!pageInfo.hasNextPage}
      onClick={() => onPage({ first: PAGE_SIZE, after: pageInfo.endCursor })}
    >
      {newestFirst ? 'Newer' : 'Next page'}
    </button>
  );
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      {newestFirst ? forward : back}
      {newestFirst ? back : forward}
    </nav>
  );
}

export const PAGE_SIZE = 20;
export const FIRST_PAGE = { first: PAGE_SIZE };

/** Tabs of a detail page, each a link with its own URL. */
export function Tabs({ label, tabs, current }) {
  return (
    <nav className="tabs" aria-label={label}>
      <ul>
        {tabs.map((t) => (
          <li key={t.route}>
            <Link to={t.route} aria-current={t.key === current ? 'page' : undefined}>
              {t.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export const formatDate = (iso) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '—');

/** Lines of a textarea as a list (empty lines dropped). */
export const linesOf = (text) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Sets the document title: screen readers announce the new page by it. */
export function useTitle(title) {
  useEffect(() => {
    document.title = `${title} · apiauth console`;
  }, [title]);
}
