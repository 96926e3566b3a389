// Audio in the browser for the Voice page: recording from the microphone (MediaRecorder), and a
// player that plays speech while it arrives (Web Audio: each piece is scheduled right after the
// previous one, so playback starts with the first sentence, not after the whole text).
import { useEffect, useRef, useState } from 'preact/hooks';

/** The API's `pcm` format: 16-bit little-endian mono at 24 kHz. */
export const PCM_RATE = 24000;

/**
 * Plays audio pieces back to back as they arrive: `pcm(bytes)` for raw PCM (a piece may end in
 * the middle of a sample: the odd byte waits for the next one), `wav(bytes)` for a whole file
 * (one sentence). `received` and `played()` are in seconds of audio.
 */
export class StreamPlayer {
  constructor() {
    this.context = new AudioContext();
    this.next = 0;
    this.started = null;
    this.pieces = []; // [start, duration] of each scheduled piece, in context time
    this.received = 0;
    this.carry = null;
    this.chain = Promise.resolve();
  }

  /** Queue raw PCM bytes (Uint8Array). */
  pcm(bytes) {
    let data = bytes;
    if (this.carry) {
      data = new Uint8Array(this.carry.length + bytes.length);
      data.set(this.carry);
      data.set(bytes, this.carry.length);
      this.carry = null;
    }
    const whole = data.length - (data.length % 2);
    if (whole < data.length) this.carry = data.slice(whole);
    if (whole === 0) return;
    const view = new DataView(data.buffer, data.byteOffset, whole);
    const samples = new Float32Array(whole / 2);
    for (let i = 0; i < samples.length; i += 1) samples[i] = view.getInt16(i * 2, true) / 32768;
    const buffer = this.context.createBuffer(1, samples.length, PCM_RATE);
    buffer.copyToChannel(samples, 0);
    this.schedule(buffer);
  }

  /** Queue a whole WAV file (ArrayBuffer); decoded in order with the other pieces. */
  wav(arrayBuffer) {
    this.chain = this.chain.then(async () => this.schedule(await this.context.decodeAudioData(arrayBuffer)));
    return this.chain;
  }

  schedule(buffer) {
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const now = this.context.currentTime;
    const at = Math.max(now, this.next);
    if (this.started === null) this.started = at;
    source.start(at);
    this.next = at + buffer.duration;
    this.received += buffer.duration;
    this.pieces.push([at, buffer.duration]);
  }

  /** Seconds of audio played so far (the silences between late pieces not counted). */
  played() {
    const now = this.context.currentTime;
    let played = 0;
    for (const [start, duration] of this.pieces) played += Math.min(Math.max(now - start, 0), duration);
    return played;
  }

  /** True once everything queued has been played. */
  finished() {
    return this.started !== null && this.context.currentTime >= this.next;
  }

  close() {
    this.context.close();
  }
}

/** `{ received, played, finished }` of `player`, re-read four times a second while it plays. */
export function usePlayback(player) {
  const [figures, setFigures] = useState({ received: 0, played: 0, finished: false });
  useEffect(() => {
    if (!player) return undefined;
    const timer = setInterval(() => {
      setFigures({ received: player.received, played: player.played(), finished: player.finished() });
    }, 250);
    return () => clearInterval(timer);
  }, [player]);
  return figures;
}

/** The microphone: `start()`, `stop()` (resolves to the recording, a Blob), `seconds` recorded. */
export function useRecorder() {
  const [recording, setRecording] = useState(false);
  const [seconds, setSeconds] = useState(0);
  const recorder = useRef(null);
  const timer = useRef(null);
  useEffect(() => () => stopTracks(recorder.current), []);

  const start = async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const media = new MediaRecorder(stream);
    const chunks = [];
    media.ondataavailable = (e) => e.data.size > 0 && chunks.push(e.data);
    media.done = new Promise((resolve) => {
      media.onstop = () => resolve(new Blob(chunks, { type: media.mimeType || 'audio/webm' }));
    });
    media.start(250);
    recorder.current = media;
    const began = Date.now();
    setSeconds(0);
    timer.current = setInterval(() => setSeconds(Math.floor((Date.now() - began) / 1000)), 500);
    setRecording(true);
  };
  const stop = async () => {
    const media = recorder.current;
    clearInterval(timer.current);
    setRecording(false);
    if (!media) return null;
    media.stop();
    stopTracks(media);
    recorder.current = null;
    return media.done;
  };
  return { recording, seconds, start, stop };
}

function stopTracks(media) {
  if (media) for (const track of media.stream.getTracks()) track.stop();
}

/** Base64 (an SSE `audio` field) to an ArrayBuffer. */
export function base64Bytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}
