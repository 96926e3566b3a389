// Voice: record from the microphone and see the transcript as segments are decoded
// (transcriptions with stream=true), type text and hear it while it streams (speech as raw PCM,
// played as it arrives), and talk to the assistant (POST /api/voice/converse: the question's
// transcript, the answer's text and citations, one WAV per sentence played as it comes).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, events, request } from '../api.js';
import { ErrorMessage } from '../components.js';
import { html } from '../html.js';
import { base64Bytes, StreamPlayer, usePlayback, useRecorder } from './voice-audio.js';
import { citationHref, Grounding, useDocumentFiles } from './chat-citations.js';

function streamError(data) {
  return new ApiError(data.status, data.title || 'Error', data.detail, data);
}

/**
 * `fresh()` aborts the section's previous call and returns a signal for the next one; leaving
 * the page aborts the last (the server then stops decoding or synthesizing).
 */
function useAbort() {
  const controller = useRef(null);
  useEffect(() => () => controller.current?.abort(), []);
  return () => {
    controller.current?.abort();
    controller.current = new AbortController();
    return controller.current.signal;
  };
}

const aborted = (e) => e.name === 'AbortError';

/** A Record / Stop button that hands the recording to `onRecorded`. */
function RecordButton({ label, onRecorded, disabled, setError }) {
  const { recording, seconds, start, stop } = useRecorder();
  const toggle = async () => {
    setError(null);
    try {
      if (!recording) await start();
      else onRecorded(await stop());
    } catch (e) {
      setError(e);
    }
  };
  return html`<button type="button" onClick=${toggle} disabled=${disabled && !recording}
      aria-pressed=${recording ? 'true' : 'false'}>
      ${recording ? `Stop recording (${seconds} s)` : label}
    </button>
    <span aria-live="polite" class="muted">${recording ? `Recording… ${seconds} s` : ''}</span>`;
}

/** What `player` has received and played; "all played" once `streaming` is over and it played all. */
function Playback({ player, streaming }) {
  const { received, played, finished } = usePlayback(player);
  if (!player) return null;
  return html`<p class="muted">Audio: <output aria-label="Audio received">${received.toFixed(1)} s received</output>${', '}<output aria-label="Audio played">${played.toFixed(1)} s played${!streaming && finished ? ', all played' : ''}</output></p>`;
}

function Transcribe() {
  const [text, setText] = useState('');
  const [state, setState] = useState('idle');
  const [error, setError] = useState(null);
  const fresh = useAbort();
  const transcribe = async (blob, name) => {
    if (!blob) return;
    const signal = fresh();
    setText('');
    setState('transcribing');
    const form = new FormData();
    form.append('file', blob, name);
    form.append('stream', 'true');
    try {
      for await (const e of events('v1/audio/transcriptions', { method: 'POST', body: form, signal })) {
        if (e.data.type === 'transcript.text.delta') setText((t) => t + e.data.delta);
        else if (e.data.type === 'transcript.text.done') setText(e.data.text);
        else if (e.event === 'error') throw streamError(e.data);
      }
      setState('done');
    } catch (e) {
      if (!aborted(e)) setError(e);
      setState('idle');
    }
  };
  return html`<section class="panel" aria-labelledby="transcribe-title">
    <h2 id="transcribe-title">Speech to text</h2>
    <div class="toolbar">
      <${RecordButton} label="Record" disabled=${state === 'transcribing'} setError=${setError}
        onRecorded=${(blob) => transcribe(blob, 'recording.webm')} />
      <label>Or transcribe a file <input type="file" accept="audio/*"
        onChange=${(e) => e.currentTarget.files[0] && transcribe(e.currentTarget.files[0], e.currentTarget.files[0].name)} /></label>
    </div>
    <${ErrorMessage} error=${error} />
    <h3 id="transcript-title">Transcript ${state === 'transcribing' ? html`<span class="muted">(decoding…)</span>` : null}</h3>
    <p class="transcript" role="status" aria-label="Transcript">${text}</p>
  </section>`;
}

function Speak() {
  const [text, setText] = useState('');
  const [player, setPlayer] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const fresh = useAbort();
  useEffect(() => () => player?.close(), [player]);
  const speak = async (event) => {
    event.preventDefault();
    const signal = fresh();
    setError(null);
    setBusy(true);
    const next = new StreamPlayer();
    setPlayer(next);
    try {
      const json = { input: text, response_format: 'pcm' };
      const response = await request('v1/audio/speech', { method: 'POST', json, raw: true, signal });
      const reader = response.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        next.pcm(value);
      }
    } catch (e) {
      if (!aborted(e)) setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="panel" aria-labelledby="speak-title">
    <h2 id="speak-title">Text to speech</h2>
    <form class="composer" onSubmit=${speak}>
      <label for="speak-text">Text to read aloud</label>
      <textarea id="speak-text" rows="3" value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
      <button type="submit" disabled=${busy || !text.trim()}>${busy ? 'Speaking…' : 'Speak'}</button>
    </form>
    <${ErrorMessage} error=${error} />
    <${Playback} player=${player} streaming=${busy} />
  </section>`;
}

function Converse() {
  const [turn, setTurn] = useState(null);
  const [player, setPlayer] = useState(null);
  const [sessionId, setSessionId] = useState(null);
  const [error, setError] = useState(null);
  const { files, refresh } = useDocumentFiles();
  const fresh = useAbort();
  useEffect(() => () => player?.close(), [player]);
  const converse = async (blob) => {
    if (!blob) return;
    const signal = fresh();
    const next = new StreamPlayer();
    setPlayer(next);
    const form = new FormData();
    form.append('file', blob, 'question.webm');
    if (sessionId) form.append('session_id', sessionId);
    let current = { question: null, answer: '', busy: true };
    const update = (change) => {
      current = { ...current, ...change };
      setTurn(current);
    };
    update({});
    try {
      for await (const e of events('voice/converse', { method: 'POST', body: form, signal })) {
        if (e.event === 'transcript') update({ question: e.data.text });
        else if (e.event === 'delta') update({ answer: current.answer + e.data.text });
        else if (e.event === 'audio') next.wav(base64Bytes(e.data.audio)).catch(setError);
        else if (e.event === 'done') {
          update({ answer: e.data.answer, done: e.data, busy: false });
          setSessionId(e.data.session_id);
          refresh();
        } else if (e.event === 'error') throw streamError(e.data);
      }
    } catch (e) {
      if (!aborted(e)) setError(e);
      update({ busy: false });
    }
  };
  const done = turn?.done;
  return html`<section class="panel" aria-labelledby="converse-title">
    <h2 id="converse-title">Talk to the assistant</h2>
    <div class="toolbar">
      <${RecordButton} label="Ask by voice" disabled=${turn?.busy} setError=${setError} onRecorded=${converse} />
    </div>
    <${ErrorMessage} error=${error} />
    ${turn
      ? html`<dl class="facts" aria-live="polite">
          <dt>You asked</dt><dd>${turn.question ?? html`<span class="muted">listening…</span>`}</dd>
          <dt>Answer</dt><dd>${turn.answer} ${done ? html`<${Grounding} message=${done} />` : null}</dd>
          ${done && done.citations.length > 0
            ? html`<dt>Sources</dt><dd><ul>${done.citations.map((c) => {
                const where = c.page ? `${c.source}, page ${c.page}` : c.source;
                const file = files[c.document_id];
                return html`<li>${file ? html`<a href=${citationHref(file, c.page)}>${where}</a>` : where}</li>`;
              })}</ul></dd>`
            : null}
        </dl>`
      : null}
    <${Playback} player=${player} streaming=${turn?.busy} />
  </section>`;
}

export default function VoicePage() {
  return html`<h1>Voice</h1>
    <${Transcribe} />
    <${Speak} />
    <${Converse} />`;
}
