// The one HTTP client every page uses: it adds the credential to each call, turns error bodies
// (RFC 9457 problem+json, OpenAI's error object under /v1) into ApiError, reads Server-Sent
// Events from streamed endpoints, and uploads with progress.
import { clearCredential, loadCredential } from './session.js';

/** The API's base path: the console is served at <base>/console, so <base> is its parent. */
export const API_BASE = window.location.pathname.replace(/\/console\/?$/, '');

/** An error answer from the API, with what a person needs to see. */
export class ApiError extends Error {
  constructor(status, title, detail, body) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.body = body;
  }
}

const signOutListeners = new Set();

/** Call `listener` when the API refuses the stored credential (401): the console signs out. */
export function onSignedOut(listener) {
  signOutListeners.add(listener);
  return () => signOutListeners.delete(listener);
}

function refused() {
  clearCredential();
  for (const listener of signOutListeners) listener();
}

/** The Authorization header for `credential` (the stored one by default). */
export function authHeaders(credential = loadCredential()) {
  return credential ? { Authorization: `Bearer ${credential.secret}` } : {};
}

/** An ApiError from a failed response's status and body (problem+json, OpenAI or other). */
export function errorFrom(status, text) {
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (body && typeof body.error === 'object' && body.error) {
    return new ApiError(status, body.error.type || `HTTP ${status}`, body.error.message, body);
  }
  if (body && (body.title || body.detail)) {
    return new ApiError(status, body.title || `HTTP ${status}`, body.detail || '', body);
  }
  return new ApiError(status, `HTTP ${status}`, text ? text.slice(0, 200) : '', body);
}

/**
 * Call the API. `path` is relative to the API base ("services/status"). Options: `method`,
 * `json` (a body sent as JSON), `body` (sent as is), `headers`, `signal`, `credential` (another
 * than the stored one: the sign-in check), `accept` (statuses that are not errors: [200, 503]),
 * `raw` (return the Response instead of its JSON body).
 */
export async function request(path, options = {}) {
  const { method = 'GET', json, body, headers = {}, signal, credential, accept, raw } = options;
  const sent = { ...authHeaders(credential ?? loadCredential()), ...headers };
  let payload = body;
  if (json !== undefined) {
    sent['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  }
  const response = await fetch(`${API_BASE}/${path}`, { method, headers: sent, body: payload, signal });
  const expected = accept ? accept.includes(response.status) : response.ok;
  if (!expected) {
    if (response.status === 401 && credential === undefined) refused();
    throw errorFrom(response.status, await response.text());
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

export const get = (path, options) => request(path, { ...options, method: 'GET' });
export const post = (path, json, options) => request(path, { ...options, method: 'POST', json });
export const del = (path, options) => request(path, { ...options, method: 'DELETE' });

/**
 * Read a Server-Sent Events stream: yields `{ event, data, id }` for each event (`data` parsed
 * as JSON when it is JSON), until the stream ends or `signal` aborts. EventSource cannot send an
 * Authorization header, so the stream is read with fetch.
 */
export async function* events(path, options = {}) {
  const response = await request(path, {
    ...options,
    raw: true,
    headers: { Accept: 'text/event-stream', ...options.headers },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) yield event;
    }
  }
  const last = parseEvent(buffer);
  if (last) yield last;
}

/** One SSE block (the lines between blank lines) as `{ event, data, id }`, or null. */
export function parseEvent(block) {
  let event = 'message';
  let id = null;
  const data = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return null;
  const text = data.join('\n');
  try {
    return { event, id, data: JSON.parse(text) };
  } catch {
    return { event, id, data: text };
  }
}

/**
 * POST a FormData with upload progress (fetch reports none): `onProgress(sentBytes, total)`.
 * Resolves to `{ status, body }`; rejects with ApiError on an error status.
 */
export function upload(path, form, { onProgress, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API_BASE}/${path}`);
    for (const [name, value] of Object.entries({ ...authHeaders(), ...headers })) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => onProgress && onProgress(e.loaded, e.total);
    xhr.onerror = () => reject(new ApiError(0, 'Network error', 'the upload did not complete'));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve({ status: xhr.status, body: xhr.responseText ? JSON.parse(xhr.responseText) : null });
        return;
      }
      if (xhr.status === 401) refused();
      reject(errorFrom(xhr.status, xhr.responseText));
    };
    xhr.send(form);
  });
}
