// Documents: upload a PDF (with a progress bar), view it page by page (PDF.js, loaded only
// here) beside the text the API extracted from each page, and read it aloud.
import { useEffect, useState } from 'preact/hooks';
import { get, upload } from '../api.js';
import { ErrorMessage, Progress } from '../components.js';
import { html } from '../html.js';
import { formatBytes } from '../jobs.js';
import { navigate, routeHref, routeQuery, useRoute } from '../router.js';
import { Viewer } from './documents-viewer.js';

function UploadForm({ onUploaded }) {
  const [file, setFile] = useState(null);
  const [progress, setProgress] = useState(null);
  const [error, setError] = useState(null);

  async function submit(event) {
    event.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.append('file', file, file.name);
    setError(null);
    setProgress(0);
    try {
      const { body } = await upload('media/upload', form, {
        onProgress: (sent, total) => setProgress(total ? sent / total : null),
      });
      setProgress(1);
      onUploaded(body);
    } catch (failure) {
      setError(failure);
      setProgress(null);
    }
  }

  return html`<form class="stack" onSubmit=${submit} aria-labelledby="upload-title">
    <h2 id="upload-title">Upload a PDF</h2>
    <div class="row">
      <label>PDF file
        <input type="file" accept="application/pdf,.pdf" required
          onChange=${(e) => { setFile(e.currentTarget.files[0] ?? null); setProgress(null); }} />
      </label>
      <button type="submit" disabled=${!file || (progress !== null && progress < 1)}>Upload</button>
    </div>
    ${progress !== null ? html`<${Progress} label="Upload" value=${progress} />` : null}
    <${ErrorMessage} error=${error} />
  </form>`;
}

function Library({ files, selected }) {
  if (files === null) return html`<p>Loading your documents…</p>`;
  const pdfs = files.filter((f) => f.content_type === 'application/pdf');
  if (pdfs.length === 0) return html`<p>No documents yet: upload a PDF.</p>`;
  return html`<nav aria-label="Your documents"><ul class="files">
    ${pdfs.map(
      (f) => html`<li key=${f.id}>
        <a href=${routeHref('/documents', { file: f.id, page: 1 })} aria-current=${f.id === selected ? 'true' : undefined}>${f.name}</a>
        <span class="muted"> ${f.page_count ? `${f.page_count} pages, ` : ''}${formatBytes(f.size)}</span>
      </li>`,
    )}
  </ul></nav>`;
}

export default function DocumentsPage() {
  useRoute(); // re-render when the hash (file, page) changes
  const query = routeQuery();
  const fileId = query.get('file');
  const page = Math.max(1, Number(query.get('page')) || 1);
  const [files, setFiles] = useState(null);
  const [error, setError] = useState(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    get('media?limit=100').then((list) => setFiles(list.items), setError);
  }, [reload]);

  const uploaded = (file) => {
    setReload((n) => n + 1);
    navigate('/documents', { file: file.id, page: 1 });
  };
  return html`<h1>Documents</h1>
    <div class="documents">
      <div class="side">
        <${UploadForm} onUploaded=${uploaded} />
        <h2>Your documents</h2>
        <${ErrorMessage} error=${error} />
        <${Library} files=${files} selected=${fileId} />
      </div>
      ${fileId ? html`<${Viewer} key=${fileId} fileId=${fileId} page=${page} />` : null}
    </div>`;
}
