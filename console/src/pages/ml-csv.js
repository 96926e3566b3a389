// A small CSV reader for the ML page's charts: the page plots the rows it uploaded, in the same
// order the API read them (header row, comma-separated, RFC 4180 quotes).

/** `{ columns, rows }` of `text` (rows: arrays of strings); blank lines are skipped. */
export function parseCsv(text) {
  const records = [];
  let field = '';
  let record = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      record.push(field);
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  record.push(field);
  if (record.length > 1 || record[0] !== '') records.push(record);
  const [columns = [], ...rows] = records;
  return { columns: columns.map((c) => c.trim()), rows };
}

/** The columns whose every value is a finite number, with the values as numbers. */
export function numericColumns({ columns, rows }) {
  const numeric = {};
  columns.forEach((name, index) => {
    const values = rows.map((r) => Number(r[index]));
    if (rows.length && values.every((v, i) => Number.isFinite(v) && rows[i][index].trim() !== '')) {
      numeric[name] = values;
    }
  });
  return numeric;
}
