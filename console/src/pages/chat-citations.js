// What the Chat and Voice pages share about answers: the grounded / no-source mark, and links
// from a citation to the cited page in the Documents viewer.
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { html } from '../html.js';
import { routeHref } from '../router.js';

/**
 * The viewer's deep link for a cited page: `#/documents?file=<media file id>&page=<1-based>`
 * (no `page` for a document without pages). The Documents page opens that file at that page.
 */
export function citationHref(fileId, page) {
  return routeHref('/documents', page ? { file: fileId, page: String(page) } : { file: fileId });
}

/**
 * The media file behind each of the caller's chat documents: `{ files: {document_id: file_id},
 * refresh }`. Citations name the chat document; the viewer opens the uploaded file. Documents
 * added as text have no file (no link).
 */
export function useDocumentFiles() {
  const [files, setFiles] = useState({});
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let active = true;
    get('chat/documents').then(
      (body) => {
        if (!active) return;
        const map = {};
        for (const d of body.documents) if (d.file_id) map[d.id] = d.file_id;
        setFiles(map);
      },
      () => {}, // without the list, citations are shown without links
    );
    return () => {
      active = false;
    };
  }, [version]);
  return { files, refresh: () => setVersion((v) => v + 1) };
}

/**
 * Whether an answer rests on sources, in words: "grounded", "no source" (the documents do not
 * answer it: nothing was invented) or "not grounded" (the model's own answer, e.g. small talk).
 */
export function Grounding({ message }) {
  if (message.grounded) return html`<span class="badge ok">grounded</span>`;
  if (message.grounded == null) return null; // an answer stored before it was kept
  if (message.answer_mode === 'no_source') return html`<span class="badge bad">no source</span>`;
  return html`<span class="badge warn-badge">not grounded</span>`;
}
