// The console's routes: every page has a URL under the base path (/console/), so deep links and
// the browser's history work. A tiny router on the History API; no library needed for this.
import { useEffect, useState } from 'react';
import { pageConfig } from './page-config';

const NAVIGATED = 'console:navigated';

/** The path after the base, without leading or trailing slashes: '' for the home page, 'apis/…'. */
export function currentRoute() {
  const path = window.location.pathname;
  const rest = path.startsWith(pageConfig.basePath) ? path.slice(pageConfig.basePath.length) : '';
  return rest.replace(/^\/+|\/+$/g, '');
}

export const hrefOf = (route) => `${pageConfig.basePath}${route}`;

export function navigate(route, { replace = false } = {}) {
  const href = hrefOf(route);
  if (replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATED));
  window.scrollTo(0, 0);
}

/** The current route, updated on navigation and on the browser's back/forward. */
export function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return route;
}

/** A link to a route: a real <a href> (open in a new tab works), followed without reloading the page. */
export function Link({ to, children, ...rest }) {
  const onClick = (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={hrefOf(to)} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
