// Status: the backing services with their circuit breakers, the models (loaded, runtime,
// version) and the app's own figures, refreshed live.
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { Badge, ErrorMessage } from '../components.js';
import { html } from '../html.js';

const REFRESH_MS = 5000;

async function readStatus() {
  const [health, services, models, queues] = await Promise.all([
    get('health'),
    get('services/status', { accept: [200, 503] }),
    get('models/status'),
    get('jobs/queues').catch((error) => ({ error })), // 503 when storage is down: shown there
  ]);
  return { health, services, models: models.models, queues, at: new Date() };
}

/** The status, read now and every REFRESH_MS while `live`. */
function useStatus(live) {
  const [state, setState] = useState({ status: null, error: null });
  useEffect(() => {
    let active = true;
    let timer = null;
    const refresh = async () => {
      try {
        const status = await readStatus();
        if (active) setState({ status, error: null });
      } catch (error) {
        if (active) setState((previous) => ({ ...previous, error }));
      }
      if (active && live) timer = setTimeout(refresh, REFRESH_MS);
    };
    refresh();
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [live]);
  return state;
}

function Breaker({ dependency }) {
  if (!dependency.breaker) return html`<span>none</span>`;
  const retry = dependency.breaker_retry_after;
  return html`<span class=${dependency.breaker === 'closed' ? '' : 'warn'}>
    ${dependency.breaker}${dependency.breaker_failures ? `, ${dependency.breaker_failures} failures` : ''}
    ${retry ? `, retry in ${Math.ceil(retry)} s` : ''}
  </span>`;
}

function Services({ services }) {
  return html`<section aria-labelledby="services-title">
    <h2 id="services-title">Services <${Badge} ok=${services.status === 'ok'} yes="all required up" no="unavailable" /></h2>
    <table>
      <caption class="visually-hidden">Backing services, checked now</caption>
      <thead><tr><th scope="col">Service</th><th scope="col">State</th><th scope="col">Required</th>
        <th scope="col">Latency</th><th scope="col">Circuit breaker</th><th scope="col">Detail</th></tr></thead>
      <tbody>
        ${services.dependencies.map(
          (d) => html`<tr>
            <th scope="row">${d.name}</th>
            <td><${Badge} ok=${d.ok} /></td>
            <td>${d.required ? 'yes' : 'no'}</td>
            <td>${d.latency_ms == null ? '–' : `${d.latency_ms.toFixed(1)} ms`}</td>
            <td><${Breaker} dependency=${d} /></td>
            <td>${d.error || d.detail || ''}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function Models({ models }) {
  return html`<section aria-labelledby="models-title">
    <h2 id="models-title">Models</h2>
    <table>
      <caption class="visually-hidden">Models this instance can serve</caption>
      <thead><tr><th scope="col">Model</th><th scope="col">Task</th><th scope="col">Runtime</th>
        <th scope="col">Version</th><th scope="col">Loaded</th></tr></thead>
      <tbody>
        ${models.map(
          (m) => html`<tr>
            <th scope="row">${m.name}</th>
            <td>${m.task}</td>
            <td>${m.runtime}</td>
            <td><code>${m.version}</code></td>
            <td>${m.loaded ? `yes${m.load_seconds == null ? '' : ` (${m.load_seconds.toFixed(1)} s to load)`}` : 'no'}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function Queues({ queues }) {
  return html`<section aria-labelledby="queues-title">
    <h2 id="queues-title">Job queues</h2>
    <${ErrorMessage} error=${queues.error} />
    ${queues.queues
      ? html`<table>
          <caption class="visually-hidden">Messages waiting on each job kind's queue</caption>
          <thead><tr><th scope="col">Job kind</th><th scope="col">Queue</th>
            <th scope="col">Waiting</th><th scope="col">Poison (given up)</th></tr></thead>
          <tbody>
            ${queues.queues.map(
              (q) => html`<tr>
                <th scope="row">${q.kind}</th>
                <td><code>${q.queue}</code></td>
                <td>${q.waiting}</td>
                <td class=${q.poison ? 'warn' : ''}>${q.poison}</td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : null}
  </section>`;
}

function Instance({ health, services }) {
  const llm = Object.entries(services.llm || {});
  return html`<section aria-labelledby="instance-title">
    <h2 id="instance-title">This instance</h2>
    <dl class="facts">
      <dt>Version</dt><dd>${health.version}</dd>
      <dt>Streams being sent</dt><dd>${services.streams_in_flight}</dd>
      ${llm.map(([name, value]) => html`<dt>Chat model: ${name.replaceAll('_', ' ')}</dt><dd>${value}</dd>`)}
      <dt>Trading model</dt><dd>${health.model_loaded ? health.model_version : 'baseline rules'}</dd>
    </dl>
  </section>`;
}

export default function StatusPage() {
  const [live, setLive] = useState(true);
  const { status, error } = useStatus(live);
  return html`<h1>Status</h1>
    <div class="toolbar">
      <label><input type="checkbox" checked=${live} onChange=${(e) => setLive(e.currentTarget.checked)} />
        Refresh every ${REFRESH_MS / 1000} s</label>
      <span aria-live="polite" class="muted">${status ? `Updated ${status.at.toLocaleTimeString()}` : 'Loading…'}</span>
    </div>
    <${ErrorMessage} error=${error} />
    ${status
      ? html`<${Services} services=${status.services} />
          <${Models} models=${status.models} />
          <${Queues} queues=${status.queues} />
          <${Instance} health=${status.health} services=${status.services} />`
      : null}`;
}
