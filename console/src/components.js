// Small components the pages share.
import { html } from './html.js';

/** An API error (or any error) as a person reads it; announced by screen readers. */
export function ErrorMessage({ error }) {
  if (!error) return null;
  const status = error.status ? ` (${error.status})` : '';
  return html`<div class="error" role="alert">
    <strong>${error.title || 'Error'}${status}</strong>
    ${error.detail ? html`<span>: ${error.detail}</span>` : null}
    ${!error.title && !error.detail ? html`<span>: ${String(error.message || error)}</span>` : null}
  </div>`;
}

/** A labelled progress bar (0..1, or null while the total is unknown). */
export function Progress({ label, value }) {
  const percent = value == null ? null : Math.round(value * 100);
  return html`<div class="progress">
    <label>
      <span>${label}${percent == null ? '' : ` ${percent}%`}</span>
      <progress max="100" value=${percent ?? undefined}>${percent ?? ''}</progress>
    </label>
  </div>`;
}

/** "ok" / "down" with a word, never colour alone. */
export function Badge({ ok, yes = 'ok', no = 'down' }) {
  return html`<span class=${ok ? 'badge ok' : 'badge bad'}>${ok ? yes : no}</span>`;
}
