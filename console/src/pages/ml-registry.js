// The ML page's model registry: the caller's models, a model's versions (algorithm, metrics,
// runtime-relevant facts) and aliases, and pointing an alias at a version.
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { ErrorMessage } from '../components.js';
import { html } from '../html.js';

/** The API's name rule (shared/ml/api.py NAME_PATTERN), as an HTML pattern (v flag: `-` escaped). */
const ALIAS_PATTERN = '[a-z0-9][a-z0-9._\\-]{0,63}';

const number = (v) => (Number.isInteger(v) ? String(v) : Number(v).toFixed(3));
const metrics = (m) => Object.entries(m).map(([k, v]) => `${k} ${number(v)}`).join(', ');

function Versions({ detail, onChanged }) {
  const [alias, setAlias] = useState('production');
  const [version, setVersion] = useState(String(detail.versions[0]?.version ?? 1));
  const [error, setError] = useState(null);
  const point = async (event) => {
    event.preventDefault();
    setError(null);
    try {
      onChanged(await post(`ml/models/${encodeURIComponent(detail.name)}/aliases`, { alias, version: Number(version) }));
    } catch (e) {
      setError(e);
    }
  };
  return html`<h3>${detail.name}</h3>
    <table>
      <caption class="visually-hidden">Versions of ${detail.name}</caption>
      <thead><tr><th scope="col">Version</th><th scope="col">Aliases</th><th scope="col">Algorithm</th>
        <th scope="col">Task</th><th scope="col">Metrics</th><th scope="col">Features</th><th scope="col">Created</th></tr></thead>
      <tbody>${detail.versions.map((v) => html`<tr>
        <th scope="row">${v.version}</th>
        <td>${v.aliases.join(', ') || '–'}</td>
        <td>${v.algorithm}</td>
        <td>${v.task}</td>
        <td>${metrics(v.metrics)}</td>
        <td>${v.features.length}</td>
        <td>${new Date(v.created_at).toLocaleString()}</td>
      </tr>`)}</tbody>
    </table>
    <form class="toolbar" onSubmit=${point}>
      <label>Alias <input type="text" value=${alias} pattern=${ALIAS_PATTERN} required
        title="lower-case letters, digits, dot, underscore or hyphen; at most 64"
        onInput=${(e) => setAlias(e.currentTarget.value)} /></label>
      <label>Version <select value=${version} onChange=${(e) => setVersion(e.currentTarget.value)}>
        ${detail.versions.map((v) => html`<option value=${v.version}>${v.version}</option>`)}
      </select></label>
      <button type="submit">Point alias</button>
    </form>
    <${ErrorMessage} error=${error} />`;
}

export function Registry() {
  const [models, setModels] = useState(null);
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState(null);
  const refresh = () => get('ml/models').then((body) => setModels(body.models), setError);
  useEffect(() => {
    refresh();
  }, []);
  const open = async (name) => {
    setError(null);
    try {
      setDetail(await get(`ml/models/${encodeURIComponent(name)}`));
    } catch (e) {
      setError(e);
    }
  };
  const changed = (next) => {
    setDetail(next);
    refresh();
  };
  return html`<section class="panel" aria-labelledby="registry-title">
    <h2 id="registry-title">Model registry</h2>
    <${ErrorMessage} error=${error} />
    ${models === null
      ? html`<p>Loading…</p>`
      : models.length === 0
        ? html`<p class="muted">No model registered yet (POST /api/ml/models trains and registers one).</p>`
        : html`<table>
            <caption class="visually-hidden">Registered models</caption>
            <thead><tr><th scope="col">Model</th><th scope="col">Latest version</th><th scope="col">Aliases</th>
              <th scope="col">Updated</th></tr></thead>
            <tbody>${models.map((m) => html`<tr>
              <th scope="row"><button type="button" class="linkish" onClick=${() => open(m.name)}>${m.name}</button></th>
              <td>${m.latest_version}</td>
              <td>${Object.entries(m.aliases).map(([a, v]) => `${a} → ${v}`).join(', ') || '–'}</td>
              <td>${new Date(m.updated_at).toLocaleString()}</td>
            </tr>`)}</tbody>
          </table>`}
    ${detail ? html`<${Versions} key=${detail.name} detail=${detail} onChanged=${changed} />` : null}
  </section>`;
}
