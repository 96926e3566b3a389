// "Read aloud": start the speech job for the pages from the one shown to the end, show its
// progress, then play one page's audio after the other, saying (and showing) which page is read.
import { useEffect, useRef, useState } from 'preact/hooks';
import { post } from '../api.js';
import { ErrorMessage, Progress } from '../components.js';
import { html } from '../html.js';
import { resultBlob, watchJob } from '../jobs.js';

const MAX_PAGES = 20; // one job reads at most this many pages (a short wait, a small job)

/** The page a result file reads ("page-0002.wav" -> 2). */
const pageOf = (result) => Number(/page-(\d+)\.wav$/.exec(result.name)?.[1] ?? 0);

export function ReadAloud({ fileId, page, count, onPage }) {
  const [job, setJob] = useState(null);
  const [error, setError] = useState(null);
  const [reading, setReading] = useState(null); // the page whose audio is loaded
  const [tracks, setTracks] = useState([]);
  const audio = useRef(null);
  const stop = useRef(null);
  useEffect(() => () => stop.current?.abort(), []);

  async function start() {
    stop.current?.abort();
    stop.current = new AbortController();
    setError(null);
    setTracks([]);
    setReading(null);
    const last = Math.min(count, page + MAX_PAGES - 1);
    try {
      let current = await post(`media/${fileId}/speech`, { first_page: page, last_page: last }, { signal: stop.current.signal });
      setJob(current);
      current = await watchJob(current.id, setJob, stop.current.signal);
      if (current.status !== 'succeeded') return;
      const results = current.results.filter(pageOf).sort((a, b) => pageOf(a) - pageOf(b));
      setTracks(results);
      await play(results, 0);
    } catch (failure) {
      if (!stop.current.signal.aborted) setError(failure);
    }
  }

  async function play(results, index) {
    const result = results[index];
    if (!result || !audio.current) {
      setReading(null);
      return;
    }
    const url = URL.createObjectURL(await resultBlob(result, stop.current.signal));
    const element = audio.current;
    if (element.src) URL.revokeObjectURL(element.src);
    element.src = url;
    element.onended = () => play(results, index + 1);
    setReading(pageOf(result));
    onPage(pageOf(result));
    await element.play();
  }

  const running = job && (job.status === 'pending' || job.status === 'running');
  return html`<div class="read-aloud" aria-labelledby="read-aloud-title">
    <h3 id="read-aloud-title" class="visually-hidden">Read aloud</h3>
    <div class="row">
      <button type="button" onClick=${start} disabled=${running}>
        Read aloud from page ${page}
      </button>
      <span aria-live="polite" class="reading">
        ${reading ? `Reading page ${reading}` : job ? `Speech job ${job.status}` : ''}
      </span>
    </div>
    ${running ? html`<${Progress} label="Preparing the audio" value=${job.progress / 100} />` : null}
    ${job?.status === 'failed' ? html`<${ErrorMessage} error=${{ title: 'Speech job failed', detail: job.error }} />` : null}
    <${ErrorMessage} error=${error} />
    <audio ref=${audio} controls aria-label="Audio of the page being read" hidden=${tracks.length === 0}></audio>
  </div>`;
}
