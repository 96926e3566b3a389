// Sign in with an issued API key or a bearer token: checked against /api/auth/whoami, then kept
// in sessionStorage. The first-run hint shows how to issue a key on the app's machine.
import { useState } from 'preact/hooks';
import { get } from './api.js';
import { ErrorMessage } from './components.js';
import { html } from './html.js';
import { credentialKind, saveCredential } from './session.js';

// README "Authentication": the first admin key, issued on the app's machine. Without --scopes the
// key has every scope (admin, files, chat, voice, ml, predict).
const ISSUE_KEY = [
  'eval "$(.venv/bin/python scripts/local_env.py)"',
  '.venv/bin/python -m shared.auth issue-key --tenant acme --user ops',
].join('\n');

/** The sign-in form; `onSignedIn(whoami)` once the API accepted the credential. */
export function SignIn({ onSignedIn }) {
  const [secret, setSecret] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const value = secret.trim();
    if (!value) return;
    const credential = { secret: value, kind: credentialKind(value) };
    setBusy(true);
    setError(null);
    try {
      const caller = await get('auth/whoami', { credential });
      saveCredential(credential);
      setSecret('');
      onSignedIn(caller);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return html`<main id="main" class="signin">
    <h1>ML platform console</h1>
    <form onSubmit=${submit} aria-describedby="first-run">
      <label for="credential">API key or bearer token</label>
      <input
        id="credential"
        name="credential"
        type="password"
        autocomplete="off"
        spellcheck="false"
        required
        value=${secret}
        onInput=${(e) => setSecret(e.currentTarget.value)}
      />
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      <${ErrorMessage} error=${error} />
    </form>
    <section id="first-run" class="hint" aria-labelledby="first-run-title">
      <h2 id="first-run-title">First run?</h2>
      <p>Issue a key on the app's machine, from the project folder (the first line loads the
        app's local settings; every scope unless <code>--scopes</code> names some):</p>
      <pre><code>${ISSUE_KEY}</code></pre>
      <p>
        The key is kept in this tab's session storage only, and sent as${' '}
        <code>Authorization: Bearer</code> with every call.
      </p>
    </section>
  </main>`;
}
