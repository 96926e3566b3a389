// A hash router: #/status, #/documents... The document's path never changes, so the function
// app serves one URL and the credential never appears in one.
import { useEffect, useState } from 'preact/hooks';

/** The current route ("/status"), without query ("?page=2" stays in routeQuery()). */
export function currentRoute() {
  const hash = window.location.hash.replace(/^#/, '');
  return hash.split('?')[0] || '/';
}

/** The query part of the hash ("#/documents?file=abc" -> URLSearchParams). */
export function routeQuery() {
  const hash = window.location.hash;
  const at = hash.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
}

/** A link target for `route` on this same document (no reload: only the hash changes). */
export function routeHref(route, query) {
  const search = query ? `?${new URLSearchParams(query)}` : '';
  return `${window.location.pathname}#${route}${search}`;
}

/** Go to `route` (e.g. after an action). */
export function navigate(route, query) {
  window.location.hash = `${route}${query ? `?${new URLSearchParams(query)}` : ''}`;
}

/** The current route, re-rendering the caller when the route or its query changes. */
export function useRoute() {
  const [, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return currentRoute();
}
