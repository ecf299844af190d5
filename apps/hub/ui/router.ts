// Path routing: `/` the runs, `/runs/<uid>/<root>/<child>/…` a node of a run (deep links).
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  page: 'runs' | 'run';
  /** Node key (`uid/root/child…`) for the run page. */
  key: string;
  query: URLSearchParams;
}

function current(): Route {
  const { pathname, search } = location;
  const query = new URLSearchParams(search);
  const m = /^\/runs\/(\d+)(\/.*)?$/.exec(pathname);
  if (m) {
    const rest = (m[2] ?? '').split('/').filter(Boolean).join('/');
    return { page: 'run', key: rest ? `${m[1]}/${rest}` : m[1], query };
  }
  // Python hub's deep links: ?path=<uid>.<ident>.<ident>… (the first selected path wins).
  const legacy = query.get('path');
  if (legacy && /^\d+(\.|$)/.test(legacy)) {
    return { page: 'run', key: legacy.split('.').map(encodeURIComponent).join('/'), query: new URLSearchParams() };
  }
  return { page: 'runs', key: '', query };
}

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event('gator:navigate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    window.addEventListener('popstate', update);
    window.addEventListener('gator:navigate', update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('gator:navigate', update);
    };
  }, []);
  return route;
}
