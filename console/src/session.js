// The caller's credential, kept in sessionStorage only: it lives as long as the tab, is never
// put in a URL, and is never logged (nothing in the console prints it).
const STORAGE_KEY = 'mlp-console.credential';

/** The stored credential `{ secret, kind }` (kind: "key" or "token"), or null. */
export function loadCredential() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    return stored && typeof stored.secret === 'string' && stored.secret ? stored : null;
  } catch {
    return null;
  }
}

/** Remember the credential for this tab. */
export function saveCredential(credential) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credential));
}

/** Forget it (sign out, or the API said it is no longer valid). */
export function clearCredential() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** "key" for an issued API key (mlp_<id>_<secret>), else "token" (a JWT). */
export function credentialKind(secret) {
  return secret.startsWith('mlp_') ? 'key' : 'token';
}
