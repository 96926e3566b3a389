// ML: upload a CSV (POST /api/media/upload), cluster it (POST /api/ml/cluster) and see its rows
// as a scatter plot coloured by cluster, score anomalies (POST /api/ml/anomaly) as a bar chart,
// feature importance (POST /api/ml/feature-importance) as bars, and the model registry with its
// versions and aliases (GET /api/ml/models, POST /api/ml/models/{name}/aliases).
import { useState } from 'preact/hooks';
import { get, post, upload } from '../api.js';
import { ErrorMessage, Progress } from '../components.js';
import { html } from '../html.js';
import { Bars, DataTable, HBars, Scatter } from './ml-charts.js';
import { numericColumns, parseCsv } from './ml-csv.js';
import { Registry } from './ml-registry.js';

/** The most points the scatter plot draws (evenly spaced rows beyond it). */
const MAX_POINTS = 5000;

function UploadCsv({ onLoaded }) {
  const [progress, setProgress] = useState(null);
  const [error, setError] = useState(null);
  const choose = async (event) => {
    const file = event.currentTarget.files[0];
    if (!file) return;
    setError(null);
    try {
      const table = parseCsv(await file.text());
      const form = new FormData();
      form.append('file', file, file.name);
      setProgress(0);
      const { body } = await upload('media/upload', form, { onProgress: (sent, total) => setProgress(total ? sent / total : null) });
      onLoaded({ fileId: body.id, name: file.name, table, numeric: numericColumns(table) });
    } catch (e) {
      setError(e);
    } finally {
      setProgress(null);
    }
  };
  return html`<div class="toolbar">
      <label>CSV file (header row, numeric columns) <input type="file" accept=".csv,text/csv" onChange=${choose} /></label>
    </div>
    ${progress === null ? null : html`<${Progress} label="Uploading" value=${progress} />`}
    <${ErrorMessage} error=${error} />`;
}

function AxisSelect({ label, value, options, onChange }) {
  return html`<label>${label} <select value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
    ${options.map((o) => html`<option value=${o}>${o}</option>`)}
  </select></label>`;
}

/** A form's request: `submit(makeRequest)` handles the form's submit event by posting it,
 * keeping its answer, a busy flag and the error. */
function useFormRequest() {
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = (makeRequest) => async (event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      setResult(await makeRequest());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { result, busy, error, submit };
}

function Clusters({ data }) {
  const names = Object.keys(data.numeric);
  const [k, setK] = useState('');
  const [axes, setAxes] = useState([names[0], names[1] ?? names[0]]);
  const { result, busy, error, submit } = useFormRequest();
  const run = submit(() => post('ml/cluster', { data: { file_id: data.fileId }, ...(k ? { k: Number(k) } : {}) }));
  let chart = null;
  if (result && names.length) {
    const [xs, ys] = [data.numeric[axes[0]], data.numeric[axes[1]]];
    const step = Math.max(1, Math.ceil(result.labels.length / MAX_POINTS));
    const points = [];
    for (let i = 0; i < result.labels.length; i += step) points.push({ x: xs[i], y: ys[i], group: result.labels[i] });
    const groups = Object.entries(result.sizes)
      .map(([label, count]) => ({ id: Number(label), count, label: Number(label) < 0 ? 'Noise' : `Cluster ${label}` }))
      .sort((a, b) => a.id - b.id);
    const silhouette = result.silhouette == null ? 'n/a' : result.silhouette.toFixed(3);
    chart = html`<p aria-live="polite">${`${result.k} clusters (${result.method}), silhouette ${silhouette}`}${step > 1 ? `; every ${step}th row drawn` : ''}.</p>
      <div class="toolbar">
        <${AxisSelect} label="X axis" value=${axes[0]} options=${names} onChange=${(v) => setAxes([v, axes[1]])} />
        <${AxisSelect} label="Y axis" value=${axes[1]} options=${names} onChange=${(v) => setAxes([axes[0], v])} />
      </div>
      <${Scatter} id="chart-clusters" title=${`Rows of ${data.name} by cluster`} points=${points} groups=${groups}
        description=${`Scatter plot of ${axes[1]} against ${axes[0]}, one mark per row, colour and shape by cluster: ${groups.map((g) => `${g.label}, ${g.count} rows`).join('; ')}.`}
        xLabel=${axes[0]} yLabel=${axes[1]} />
      <${DataTable} caption="Cluster of each row" columns=${['Row', axes[0], axes[1], 'Cluster']}
        rows=${result.labels.map((label, i) => [i + 1, xs[i], ys[i], label])} />`;
  }
  return html`<section class="panel" aria-labelledby="cluster-title">
    <h2 id="cluster-title">Clusters</h2>
    <form class="toolbar" onSubmit=${run}>
      <label>Clusters (k, empty: best silhouette) <input type="number" min="2" max="100" value=${k}
        onInput=${(e) => setK(e.currentTarget.value)} /></label>
      <button type="submit" disabled=${busy}>${busy ? 'Clustering…' : 'Cluster'}</button>
    </form>
    <${ErrorMessage} error=${error} />
    ${chart}
  </section>`;
}

function Anomalies({ data }) {
  const { result, busy, error, submit } = useFormRequest();
  const [share, setShare] = useState('');
  const run = submit(() =>
    post('ml/anomaly', { data: { file_id: data.fileId }, contamination: share ? Number(share) : 'auto' }));
  return html`<section class="panel" aria-labelledby="anomaly-title">
    <h2 id="anomaly-title">Anomaly scores</h2>
    <form class="toolbar" onSubmit=${run}>
      <label>Expected share of anomalies (0-0.5, empty: auto) <input type="number" min="0.001" max="0.5" step="0.001"
        value=${share} onInput=${(e) => setShare(e.currentTarget.value)} /></label>
      <button type="submit" disabled=${busy}>${busy ? 'Scoring…' : 'Score anomalies'}</button>
    </form>
    <${ErrorMessage} error=${error} />
    ${result
      ? html`<p aria-live="polite">${result.anomalies} of ${result.scores.length} rows flagged (score above ${result.threshold.toFixed(3)}).</p>
          <${Bars} id="chart-anomalies" title=${`Anomaly score of each row of ${data.name}`}
            description=${`Bar chart, one bar per row in file order; higher is more anomalous; ${result.anomalies} flagged rows drawn in red above the dashed threshold line.`}
            values=${result.scores} flags=${result.flags} threshold=${result.threshold} xLabel="Row" yLabel="Score" />
          <${DataTable} caption="Anomaly score of each row" columns=${['Row', 'Score', 'Flagged']}
            rows=${result.scores.map((s, i) => [i + 1, s.toFixed(4), result.flags[i] ? 'yes' : 'no'])} />`
      : null}
  </section>`;
}

function Importance({ data }) {
  const [target, setTarget] = useState(data.table.columns[data.table.columns.length - 1]);
  const { result, busy, error, submit } = useFormRequest();
  const run = submit(() => post('ml/feature-importance', { data: { file_id: data.fileId }, target }));
  const items = result ? result.importances.map((i) => ({ label: i.feature, value: i.permutation_mean })) : [];
  return html`<section class="panel" aria-labelledby="importance-title">
    <h2 id="importance-title">Feature importance</h2>
    <form class="toolbar" onSubmit=${run}>
      <${AxisSelect} label="Target column" value=${target} options=${data.table.columns} onChange=${setTarget} />
      <button type="submit" disabled=${busy}>${busy ? 'Computing…' : 'Compute importance'}</button>
    </form>
    <${ErrorMessage} error=${error} />
    ${result
      ? html`<p aria-live="polite">${result.task}, out-of-bag score ${result.oob_score.toFixed(3)}.</p>
          <${HBars} id="chart-importance" title=${`Feature importance for ${target}`} items=${items} valueLabel="Permutation importance (mean)"
            description=${`Horizontal bars, highest first: ${items.map((i) => `${i.label} ${i.value.toFixed(3)}`).join(', ')}.`} />
          <${DataTable} caption="Feature importances" columns=${['Feature', 'Permutation mean', 'Permutation std', 'Impurity']}
            rows=${result.importances.map((i) => [i.feature, i.permutation_mean.toFixed(4), i.permutation_std.toFixed(4), i.impurity.toFixed(4)])} />`
      : null}
  </section>`;
}

export default function MlPage() {
  const [data, setData] = useState(null);
  return html`<h1>ML</h1>
    <section class="panel" aria-labelledby="data-title">
      <h2 id="data-title">Data</h2>
      <${UploadCsv} onLoaded=${setData} />
      ${data
        ? html`<p aria-live="polite">${data.name}: ${data.table.rows.length} rows, columns ${data.table.columns.join(', ')}.</p>`
        : html`<p class="muted">Upload a CSV to cluster it, score anomalies and rank features.</p>`}
    </section>
    ${data ? html`<${Clusters} key=${data.fileId} data=${data} />
      <${Anomalies} key=${`a${data.fileId}`} data=${data} />
      <${Importance} key=${`i${data.fileId}`} data=${data} />` : null}
    <${Registry} />`;
}
