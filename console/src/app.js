// The app shell: sign-in when there is no credential, else the navigation and the current page.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, onSignedOut } from './api.js';
import { ErrorMessage } from './components.js';
import { html } from './html.js';
import { PAGES, pageFor } from './pages/registry.js';
import { routeHref, useRoute } from './router.js';
import { clearCredential, loadCredential } from './session.js';
import { SignIn } from './signin.js';

/** Who is signed in (whoami), re-checked once when a stored credential is found. */
function useCaller() {
  const [caller, setCaller] = useState(null);
  const [checking, setChecking] = useState(() => loadCredential() !== null);
  useEffect(() => onSignedOut(() => setCaller(null)), []);
  useEffect(() => {
    if (!checking) return;
    get('auth/whoami')
      .then(setCaller)
      .catch(() => clearCredential())
      .finally(() => setChecking(false));
  }, []);
  const signOut = () => {
    clearCredential();
    setCaller(null);
  };
  return { caller, setCaller, checking, signOut };
}

/** The module of the page for `route`, loaded on first use. */
function usePageModule(route) {
  const [loaded, setLoaded] = useState({ route: null, module: null, error: null });
  useEffect(() => {
    let current = true;
    pageFor(route)
      .load()
      .then((module) => current && setLoaded({ route, module, error: null }))
      .catch((error) => current && setLoaded({ route, module: null, error }));
    return () => {
      current = false;
    };
  }, [route]);
  return loaded.route === route ? loaded : { module: null, error: null };
}

function Navigation({ caller, active }) {
  const visible = PAGES.filter((page) => !page.scope || caller.scopes.includes(page.scope));
  return html`<nav aria-label="Pages">
    <ul>
      ${visible.map(
        (page) => html`<li>
          <a href=${routeHref(page.route)} aria-current=${page.route === active ? 'page' : undefined}
            >${page.title}</a
          >
        </li>`,
      )}
    </ul>
  </nav>`;
}

function Shell({ caller, signOut }) {
  const route = useRoute();
  const page = pageFor(route);
  const { module, error } = usePageModule(page.route);
  const main = useRef(null);
  useEffect(() => {
    document.title = `${page.title} · ML platform console`;
    main.current?.focus();
  }, [page.route]);
  const Page = module?.default;
  return html`<a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); main.current?.focus(); }}>Skip to content</a>
    <header>
      <span class="brand">ML platform console</span>
      <${Navigation} caller=${caller} active=${page.route} />
      <span class="who">${caller.tenant} / ${caller.user}</span>
      <button type="button" onClick=${signOut}>Sign out</button>
    </header>
    <main id="main" tabindex="-1" ref=${main}>
      ${error ? html`<${ErrorMessage} error=${error} />` : null}
      ${Page ? html`<${Page} caller=${caller} />` : html`<p>Loading…</p>`}
    </main>`;
}

export function App() {
  const { caller, setCaller, checking, signOut } = useCaller();
  if (checking) return html`<main id="main"><p>Checking the stored credential…</p></main>`;
  if (!caller) return html`<${SignIn} onSignedIn=${setCaller} />`;
  return html`<${Shell} caller=${caller} signOut=${signOut} />`;
}
