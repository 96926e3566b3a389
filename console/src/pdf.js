// PDF.js, loaded only when the Documents page opens a document (its own chunk, and its worker a
// separate file): open a PDF from bytes and draw one page on a canvas.
import { GlobalWorkerOptions, getDocument } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerUrl;

/** The document in `data` (an ArrayBuffer). No eval: the page's CSP does not allow it. */
export function openPdf(data) {
  return getDocument({ data, isEvalSupported: false }).promise;
}

/**
 * Draw page `number` of `pdf` on `canvas`, `width` CSS pixels wide (sharp on high-DPI screens).
 * Returns PDF.js's render task (`.promise`, `.cancel()`).
 */
export async function renderPage(pdf, number, canvas, width) {
  const page = await pdf.getPage(number);
  const natural = page.getViewport({ scale: 1 });
  const ratio = window.devicePixelRatio || 1;
  const viewport = page.getViewport({ scale: (width / natural.width) * ratio });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
  canvas.style.height = `${Math.floor(viewport.height / ratio)}px`;
  return page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport });
}
