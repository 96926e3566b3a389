// Jobs: the caller's jobs, newest first, with live progress (the jobs events SSE for the ones
// still running), cancel, and result downloads.
import { useEffect, useState } from 'preact/hooks';
import { del, get } from '../api.js';
import { ErrorMessage } from '../components.js';
import { html } from '../html.js';
import { TERMINAL, downloadResult, formatBytes, watchJob } from '../jobs.js';

const LIST_REFRESH_MS = 5000;
const MAX_WATCHED = 4; // streams held at once (browsers allow 6 connections per host)
const STATUSES = ['', 'pending', 'running', 'succeeded', 'failed', 'cancelled'];

/** The list, re-read every LIST_REFRESH_MS; running jobs updated live in between. */
function useJobs(status) {
  const [jobs, setJobs] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let active = true;
    const query = new URLSearchParams({ limit: '50', ...(status ? { status } : {}) });
    get(`jobs?${query}`)
      .then((page) => active && (setJobs(page.items), setError(null)))
      .catch((failure) => active && setError(failure));
    const timer = setTimeout(() => setTick((n) => n + 1), LIST_REFRESH_MS);
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [status, tick]);

  const running = (jobs || []).filter((job) => !TERMINAL.has(job.status)).slice(0, MAX_WATCHED);
  const watchedIds = running.map((job) => job.id).join(',');
  useEffect(() => {
    const stop = new AbortController();
    const update = (job) => setJobs((list) => list && list.map((j) => (j.id === job.id ? job : j)));
    for (const job of running) watchJob(job.id, update, stop.signal).catch(() => {});
    return () => stop.abort();
  }, [watchedIds]);

  const replace = (job) => setJobs((list) => list.map((j) => (j.id === job.id ? job : j)));
  return { jobs, error, setError, replace };
}

function JobRow({ job, onCancel, onError }) {
  const cancellable = !TERMINAL.has(job.status) && !job.cancel_requested;
  const state = job.cancel_requested && !TERMINAL.has(job.status) ? `${job.status}, cancelling` : job.status;
  return html`<tr>
    <td><code title=${job.id}>${job.id.slice(0, 8)}</code></td>
    <td>${job.kind}</td>
    <td>${state}${job.error ? html`<div class="muted">${job.error}</div>` : null}</td>
    <td>
      <progress max="100" value=${job.progress} aria-label=${`Progress of job ${job.id.slice(0, 8)}`}></progress>
      ${` ${job.progress}%`}
    </td>
    <td>${new Date(job.created_at).toLocaleString()}</td>
    <td><div class="actions">
      ${cancellable
        ? html`<button type="button" class="secondary" onClick=${() => onCancel(job)}
            aria-label=${`Cancel job ${job.id.slice(0, 8)}`}>Cancel</button>`
        : null}
      ${job.results.map(
        (result) => html`<button type="button" class="secondary"
          onClick=${() => downloadResult(result).catch(onError)}
          aria-label=${`Download ${result.name} of job ${job.id.slice(0, 8)}`}>
          ${result.name} (${formatBytes(result.size)})</button>`,
      )}
    </div></td>
  </tr>`;
}

export default function JobsPage() {
  const [status, setStatus] = useState('');
  const { jobs, error, setError, replace } = useJobs(status);
  const cancel = (job) => del(`jobs/${job.id}`).then(replace).catch(setError);
  return html`<h1>Jobs</h1>
    <div class="toolbar">
      <label>Status
        <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
          ${STATUSES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
        </select>
      </label>
      <span class="muted">Running jobs update live; the list every ${LIST_REFRESH_MS / 1000} s.</span>
    </div>
    <${ErrorMessage} error=${error} />
    ${jobs === null
      ? html`<p>Loading…</p>`
      : jobs.length === 0
        ? html`<p>No jobs yet. Reading a document aloud (Documents) starts one.</p>`
        : html`<table>
            <caption class="visually-hidden">Your jobs, newest first</caption>
            <thead><tr><th scope="col">Job</th><th scope="col">Kind</th><th scope="col">Status</th>
              <th scope="col">Progress</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
            <tbody>${jobs.map((job) => html`<${JobRow} key=${job.id} job=${job} onCancel=${cancel} onError=${setError} />`)}</tbody>
          </table>`}`;
}
