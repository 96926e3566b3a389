// Keys (admin scope): issue an API key for a user of the caller's tenant (shown once), list the
// tenant's keys, revoke one.
import { useEffect, useState } from 'preact/hooks';
import { del, get, post } from '../api.js';
import { ErrorMessage } from '../components.js';
import { html } from '../html.js';

const SCOPES = ['admin', 'files', 'chat', 'voice', 'ml', 'predict'];
const day = (value) => (value ? new Date(value).toLocaleDateString() : '–');

function IssueForm({ onIssued }) {
  const [form, setForm] = useState({ user: '', name: '', scopes: ['files', 'chat', 'voice', 'ml'], days: '' });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (field) => (e) => setForm({ ...form, [field]: e.currentTarget.value });
  const toggle = (scope) => (e) =>
    setForm({
      ...form,
      scopes: e.currentTarget.checked ? [...form.scopes, scope] : form.scopes.filter((s) => s !== scope),
    });

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { user: form.user.trim(), name: form.name.trim(), scopes: form.scopes };
      if (form.days) body.expires_in_days = Number(form.days);
      onIssued(await post('auth/keys', body));
      setForm({ ...form, user: '', name: '' });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return html`<form class="stack" onSubmit=${submit} aria-labelledby="issue-title">
    <h2 id="issue-title">Issue a key</h2>
    <div class="row">
      <label>User <input type="text" required maxlength="256" value=${form.user} onInput=${set('user')} /></label>
      <label>What it is for <input type="text" required maxlength="100" value=${form.name} onInput=${set('name')} /></label>
      <label>Expires in days <input type="number" min="1" max="3650" value=${form.days} onInput=${set('days')} /></label>
    </div>
    <fieldset>
      <legend>Scopes</legend>
      ${SCOPES.map(
        (scope) => html`<label class="inline"><input type="checkbox" checked=${form.scopes.includes(scope)}
          onChange=${toggle(scope)} /> ${scope}</label>`,
      )}
    </fieldset>
    <button type="submit" disabled=${busy || form.scopes.length === 0}>Issue key</button>
    <${ErrorMessage} error=${error} />
  </form>`;
}

function IssuedKey({ issued }) {
  if (!issued) return null;
  const copy = () => navigator.clipboard?.writeText(issued.key);
  return html`<section class="issued" aria-labelledby="issued-title">
    <h2 id="issued-title">New key for ${issued.user}</h2>
    <p>Shown once: copy it now. It is not stored anywhere in this console.</p>
    <label>Key <input type="text" readonly value=${issued.key} size="60" onFocus=${(e) => e.currentTarget.select()} /></label>
    <button type="button" class="secondary" onClick=${copy}>Copy</button>
  </section>`;
}

export default function KeysPage() {
  const [keys, setKeys] = useState(null);
  const [issued, setIssued] = useState(null);
  const [error, setError] = useState(null);
  const load = () => get('auth/keys').then((list) => setKeys(list.keys), setError);
  useEffect(() => {
    load();
  }, []);
  const revoke = async (key) => {
    if (!window.confirm(`Revoke key ${key.id} of ${key.user}? Its holder is refused from the next request on.`)) return;
    try {
      await del(`auth/keys/${encodeURIComponent(key.id)}`);
      await load();
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<h1>API keys</h1>
    <${IssueForm} onIssued=${(key) => (setIssued(key), load())} />
    <${IssuedKey} issued=${issued} />
    <h2>Keys of this tenant</h2>
    <${ErrorMessage} error=${error} />
    ${keys === null
      ? html`<p>Loading…</p>`
      : html`<table>
          <caption class="visually-hidden">The tenant's API keys (no secrets)</caption>
          <thead><tr><th scope="col">Key id</th><th scope="col">User</th><th scope="col">For</th>
            <th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Expires</th>
            <th scope="col">Last used</th><th scope="col">State</th></tr></thead>
          <tbody>
            ${keys.map(
              (key) => html`<tr key=${key.id}>
                <td><code>${key.id}</code></td>
                <td>${key.user}</td>
                <td>${key.name}</td>
                <td>${key.scopes.join(' ')}</td>
                <td>${day(key.created_at)}</td>
                <td>${day(key.expires_at)}</td>
                <td>${day(key.last_used_at)}</td>
                <td>${key.revoked_at
                  ? `revoked ${day(key.revoked_at)}`
                  : html`<button type="button" class="secondary" onClick=${() => revoke(key)}
                      aria-label=${`Revoke key ${key.id} of ${key.user}`}>Revoke</button>`}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}`;
}
