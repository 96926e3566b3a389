// Jobs as the pages use them: watch one live (the jobs events SSE), fetch or download its
// result files. Every call goes through api.js (the credential is added there).
import { API_BASE, events, request } from './api.js';

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** A path for api.js from an href the API returned ("/api/jobs/x" -> "jobs/x"). */
export function apiPath(href) {
  return href.startsWith(`${API_BASE}/`) ? href.slice(API_BASE.length + 1) : href.replace(/^\//, '');
}

/**
 * Follow job `id` until it ends: `onUpdate(job)` for each change (the first event is the job as
 * it is now). Resolves with the final job; rejects with ApiError (or AbortError on `signal`).
 */
export async function watchJob(id, onUpdate, signal) {
  let last = null;
  for await (const message of events(`jobs/${id}/events`, { signal })) {
    if (message.event !== 'job') continue;
    last = message.data;
    onUpdate?.(last);
    if (TERMINAL.has(last.status)) break;
  }
  return last;
}

/** A result file's bytes as a Blob (`result` is one of job.results). */
export async function resultBlob(result, signal) {
  const response = await request(apiPath(result.href), { raw: true, signal });
  return response.blob();
}

/** Save a result file through the browser's download (the credential stays in a header). */
export async function downloadResult(result) {
  const url = URL.createObjectURL(await resultBlob(result));
  const link = document.createElement('a');
  link.href = url;
  link.download = result.name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "3.2 MB" */
export function formatBytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}
