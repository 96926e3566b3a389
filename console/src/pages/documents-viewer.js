// One document: its pages drawn by PDF.js with page navigation, the text the API extracted from
// the page shown, and reading aloud. The page number lives in the URL (#/documents?file=&page=),
// so a link (a chat citation) can open a given page.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, request } from '../api.js';
import { ErrorMessage, Progress } from '../components.js';
import { html } from '../html.js';
import { resultBlob, watchJob } from '../jobs.js';
import { navigate } from '../router.js';
import { ReadAloud } from './documents-read-aloud.js';

const extracted = new Map(); // file id -> Map(page -> text), for this tab

/** The PDF, fetched with the credential and opened by PDF.js (imported on first use). */
function usePdf(fileId) {
  const [state, setState] = useState({ pdf: null, error: null });
  useEffect(() => {
    let active = true;
    let opened = null;
    (async () => {
      const [{ openPdf }, response] = await Promise.all([
        import('../pdf.js'),
        request(`media/${fileId}/content`, { raw: true }),
      ]);
      opened = await openPdf(await response.arrayBuffer());
      if (active) setState({ pdf: opened, error: null });
    })().catch((error) => active && setState({ pdf: null, error }));
    return () => {
      active = false;
      opened?.destroy();
    };
  }, [fileId]);
  return state;
}

/** Every page's extracted text: the extract job (one per file: its idempotency key names the
 * file, so reopening reuses the job), followed live, then its pages.jsonl. */
function useExtractedText(fileId) {
  const [state, setState] = useState({ pages: extracted.get(fileId) ?? null, progress: 0, error: null });
  useEffect(() => {
    if (extracted.has(fileId)) return undefined;
    const stop = new AbortController();
    (async () => {
      const headers = { 'Idempotency-Key': `"console-extract-${fileId}"` };
      let job = await post(`media/${fileId}/extract`, undefined, { headers, signal: stop.signal });
      if (job.status !== 'succeeded') {
        job = await watchJob(job.id, (j) => setState((s) => ({ ...s, progress: j.progress / 100 })), stop.signal);
      }
      if (job.status !== 'succeeded') throw new Error(`text extraction ${job.status}: ${job.error ?? ''}`);
      const text = await (await resultBlob(job.results.find((r) => r.name === 'pages.jsonl'), stop.signal)).text();
      const pages = new Map();
      for (const line of text.split('\n').filter(Boolean)) {
        const { page, text: pageText } = JSON.parse(line);
        pages.set(page, pageText);
      }
      extracted.set(fileId, pages);
      setState({ pages, progress: 1, error: null });
    })().catch((error) => !stop.signal.aborted && setState((s) => ({ ...s, error })));
    return () => stop.abort();
  }, [fileId]);
  return state;
}

function PageCanvas({ pdf, page, name }) {
  const canvas = useRef(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!pdf || !canvas.current) return undefined;
    let task = null;
    const width = Math.min(canvas.current.parentElement.clientWidth || 640, 800);
    import('../pdf.js')
      .then(({ renderPage }) => renderPage(pdf, page, canvas.current, width))
      .then((t) => (task = t).promise)
      .catch((failure) => failure?.name !== 'RenderingCancelledException' && setError(failure));
    return () => task?.cancel();
  }, [pdf, page]);
  return html`<div class="canvas">
    <canvas ref=${canvas} role="img" aria-label=${`Page ${page} of ${name}`}></canvas>
    <${ErrorMessage} error=${error} />
  </div>`;
}

function PageNavigation({ fileId, page, count }) {
  const go = (n) => navigate('/documents', { file: fileId, page: Math.min(Math.max(1, n), count) });
  return html`<div class="row" role="group" aria-label="Page navigation">
    <button type="button" class="secondary" disabled=${page <= 1} onClick=${() => go(page - 1)}>Previous page</button>
    <label>Page
      <input type="number" min="1" max=${count} value=${page} size="4"
        onChange=${(e) => go(Number(e.currentTarget.value) || 1)} />
    </label>
    <span>of ${count}</span>
    <button type="button" class="secondary" disabled=${page >= count} onClick=${() => go(page + 1)}>Next page</button>
  </div>`;
}

export function Viewer({ fileId, page }) {
  const [meta, setMeta] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get(`media/${fileId}`).then(setMeta, setError);
  }, [fileId]);
  const { pdf, error: pdfError } = usePdf(fileId);
  const text = useExtractedText(fileId);
  const count = pdf?.numPages ?? meta?.page_count ?? 1;
  const shown = Math.min(page, count);
  const name = meta?.name ?? 'the document';
  return html`<section class="viewer" aria-labelledby="viewer-title">
    <h2 id="viewer-title">${name}</h2>
    <${ErrorMessage} error=${error || pdfError} />
    <${PageNavigation} fileId=${fileId} page=${shown} count=${count} />
    <${ReadAloud} fileId=${fileId} page=${shown} count=${count}
      onPage=${(n) => navigate('/documents', { file: fileId, page: n })} />
    <div class="pages">
      ${pdf ? html`<${PageCanvas} pdf=${pdf} page=${shown} name=${name} />` : html`<p>Opening the PDF…</p>`}
      <section class="page-text" aria-labelledby="text-title">
        <h3 id="text-title">Text of page ${shown}</h3>
        <${ErrorMessage} error=${text.error} />
        ${text.pages
          ? html`<p class="extracted">${text.pages.get(shown) || '(no text on this page)'}</p>`
          : html`<${Progress} label="Extracting text" value=${text.progress} />`}
      </section>
    </div>
  </section>`;
}
