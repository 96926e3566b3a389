// Chat: your sessions (list, new, open), answers streamed in as they are made (POST /api/chat
// with stream: Server-Sent Events `delta` then `done`), each answer marked grounded or not, and
// its citations as links that open the cited page in the Documents viewer.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, events, get } from '../api.js';
import { ErrorMessage } from '../components.js';
import { html } from '../html.js';
import { citationHref, Grounding, useDocumentFiles } from './chat-citations.js';

/** The caller's sessions, newest first, re-read when `version` changes. */
function useSessions(version) {
  const [state, setState] = useState({ sessions: null, error: null });
  useEffect(() => {
    let active = true;
    get('chat/sessions?limit=50').then(
      (body) => active && setState({ sessions: body.sessions, error: null }),
      (error) => active && setState((s) => ({ ...s, error })),
    );
    return () => {
      active = false;
    };
  }, [version]);
  return state;
}

function Sessions({ sessions, current, onOpen, onNew }) {
  return html`<section class="chat-sessions" aria-labelledby="sessions-title">
    <h2 id="sessions-title">Sessions</h2>
    <button type="button" onClick=${onNew}>New chat</button>
    ${sessions === null
      ? html`<p>Loading…</p>`
      : sessions.length === 0
        ? html`<p class="muted">No session yet: ask a question to start one.</p>`
        : html`<ul>
            ${sessions.map(
              (s) => html`<li>
                <button type="button" class="secondary" aria-current=${s.id === current ? 'true' : undefined}
                  onClick=${() => onOpen(s.id)}>
                  ${s.title || 'Untitled'} <span class="muted">(${s.message_count} messages)</span>
                </button>
              </li>`,
            )}
          </ul>`}
  </section>`;
}

/** A citation: the source and page, a link to the viewer when the document is an uploaded file. */
function Citation({ citation, files }) {
  const file = files[citation.document_id];
  const where = citation.page ? `${citation.source}, page ${citation.page}` : citation.source;
  return html`<li>
    ${file ? html`<a href=${citationHref(file, citation.page)}>${where}</a>` : html`<span>${where}</span>`}
    <span class="muted"> (score ${citation.score.toFixed(2)})</span>
    <blockquote>${citation.text}</blockquote>
  </li>`;
}

function Message({ message, files }) {
  if (message.role === 'user') {
    return html`<li class="msg user"><span class="who-said">You</span><p>${message.content}</p></li>`;
  }
  const citations = message.citations || [];
  return html`<li class="msg assistant" aria-busy=${message.streaming ? 'true' : 'false'}>
    <span class="who-said">Assistant ${message.streaming ? null : html`<${Grounding} message=${message} />`}</span>
    <p>${message.content}${message.streaming ? html`<span class="muted"> …</span>` : null}</p>
    ${message.degraded?.length ? html`<p class="warn">Degraded: ${message.degraded.join('; ')}</p>` : null}
    ${citations.length > 0
      ? html`<details open>
          <summary>${citations.length} ${citations.length === 1 ? 'source' : 'sources'}</summary>
          <ol class="citations">${citations.map((c) => html`<${Citation} citation=${c} files=${files} />`)}</ol>
        </details>`
      : null}
  </li>`;
}

/** Send `text` in `sessionId` (null: a new session), streaming the answer into `update`. */
async function streamAnswer(text, sessionId, signal, update) {
  const json = { message: text, stream: true, ...(sessionId ? { session_id: sessionId } : {}) };
  let answer = '';
  for await (const e of events('chat', { method: 'POST', json, signal })) {
    if (e.event === 'delta') {
      answer += e.data.text;
      update({ role: 'assistant', content: answer, streaming: true });
    } else if (e.event === 'done') {
      const done = e.data;
      update({
        role: 'assistant',
        content: done.answer,
        citations: done.citations,
        grounded: done.grounded,
        answer_mode: done.answer_mode,
        degraded: done.degraded,
      });
      return done;
    } else if (e.event === 'error') {
      throw new ApiError(e.data.status, e.data.title, e.data.detail, e.data);
    }
  }
  throw new Error('the answer stream ended early');
}

export default function ChatPage() {
  const [version, setVersion] = useState(0);
  const { sessions, error: listError } = useSessions(version);
  const [sessionId, setSessionId] = useState(null);
  const [messages, setMessages] = useState([]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const { files, refresh: refreshFiles } = useDocumentFiles();
  const abort = useRef(null);
  useEffect(() => () => abort.current?.abort(), []);

  const open = async (id) => {
    setError(null);
    try {
      const history = await get(`chat/sessions/${id}`);
      setSessionId(id);
      setMessages(history.messages);
    } catch (e) {
      setError(e);
    }
  };
  const startNew = () => {
    setSessionId(null);
    setMessages([]);
  };
  const send = async (event) => {
    event.preventDefault();
    const question = text.trim();
    if (!question || busy) return;
    setText('');
    setError(null);
    setBusy(true);
    const before = [...messages, { role: 'user', content: question }];
    setMessages([...before, { role: 'assistant', content: '', streaming: true }]);
    abort.current = new AbortController();
    try {
      const done = await streamAnswer(question, sessionId, abort.current.signal, (m) =>
        setMessages([...before, m]),
      );
      setSessionId(done.session_id);
      if (done.citations.some((c) => !(c.document_id in files))) refreshFiles();
      setVersion((v) => v + 1);
    } catch (e) {
      if (e.name !== 'AbortError') setError(e);
      setMessages(before);
    } finally {
      setBusy(false);
    }
  };

  return html`<h1>Chat</h1>
    <${ErrorMessage} error=${listError} />
    <div class="chat">
      <${Sessions} sessions=${sessions} current=${sessionId} onOpen=${open} onNew=${startNew} />
      <section class="chat-thread" aria-labelledby="thread-title">
        <h2 id="thread-title">${sessionId ? 'Conversation' : 'New conversation'}</h2>
        <ol class="messages" aria-live="polite">
          ${messages.map((m) => html`<${Message} message=${m} files=${files} />`)}
        </ol>
        <${ErrorMessage} error=${error} />
        <form class="composer" onSubmit=${send}>
          <label for="chat-message">Message</label>
          <textarea id="chat-message" rows="3" value=${text} onInput=${(e) => setText(e.currentTarget.value)}
            onKeyDown=${(e) => { if (e.key === 'Enter' && !e.shiftKey) send(e); }}></textarea>
          <button type="submit" disabled=${busy || !text.trim()}>${busy ? 'Answering…' : 'Send'}</button>
        </form>
      </section>
    </div>`;
}
