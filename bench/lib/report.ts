/** Result types and the writers: stdout lines, JSON, a markdown table, an SVG chart. */
import { join } from 'node:path';
import { COLUMN_IDS, COLUMNS, type ColumnId } from './cases.ts';
import { median, pairedRatio } from './measure.ts';
import type { IndexMemory } from './memory.ts';
import type { TargetResult } from './targets.ts';

export type ColumnResult =
  | { status: 'ok'; rounds: number[]; medianNs: number; lowNs: number; highNs: number; vsBase?: number; vsBaseLow?: number; vsBaseHigh?: number }
  | { status: 'absent'; reason: string; rounds?: undefined }
  | { status: 'failed'; reason: string; rounds?: undefined };

export interface CaseResult {
  id: string;
  group: string;
  title: string;
  /** The column ratios are taken against (pure TS, or N-API for call/round-trip rows). */
  baseline: string;
  /** Column ids and titles of a case with columns of its own (the anchor cases); else COLUMNS. */
  labels?: Readonly<Record<string, string>>;
  columns: Record<string, ColumnResult>;
  /** Scale cases: native memory of the index (RSS-based). */
  memory?: IndexMemory;
}

export interface AsyncResult {
  id: string;
  title: string;
  syncNs: number;
  /** cores: CPU time of the process / wall time while the level ran (2 = both cores were ours). */
  levels: { inFlight: number; rounds: number[]; medianNs: number; callsPerSecond: number; vsOne: number; cores: number; coresRounds?: number[] }[];
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  v8: string;
  koffi: string;
  rustc: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
  library: string;
  napi: string;
  wasm: string;
}

export interface RunResult {
  date: string;
  mode: 'full' | 'quick';
  seconds?: number;
  machine: Machine;
  method: string;
  columns: typeof COLUMNS;
  cases: CaseResult[];
  async: AsyncResult[];
  targets: TargetResult[];
  failures: string[];
}

/**
 * Where a run's files go, without their extension: `<dir>/<date>` for a run of every case and
 * `<dir>/<date>-only-<text>` for an `--only` run, which must not replace that day's full results.
 */
export function resultStem(dir: string, date: string, only: string | undefined): string {
  return join(dir, only ? `${date}-only-${only.replace(/[^A-Za-z0-9_.-]+/g, '_')}` : date);
}

export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  if (ns < 1e3) return `${ns.toPrecision(3)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} us`;
  if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

export function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '-';
  return r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

/** Fills medians, spreads and the paired speedup vs the baseline column. */
export function summarise(columns: Record<string, ColumnResult>, baseline: string): void {
  const ts = columns[baseline];
  for (const column of Object.values(columns)) {
    if (column.status !== 'ok') continue;
    column.medianNs = median(column.rounds);
    column.lowNs = Math.min(...column.rounds);
    column.highNs = Math.max(...column.rounds);
    if (ts?.status === 'ok') {
      const { ratio, low, high } = pairedRatio(ts.rounds, column.rounds);
      Object.assign(column, { vsBase: ratio, vsBaseLow: low, vsBaseHigh: high });
    }
  }
}

/** Lines for stdout: one per column. */
export function caseLines(c: CaseResult): string[] {
  const lines = [`${c.id}: ${c.title}`];
  const labels: Readonly<Record<string, string>> = c.labels ?? COLUMNS;
  for (const id of Object.keys(labels)) {
    const column = c.columns[id];
    if (!column) continue;
    const label = labels[id]!.padEnd(c.labels ? 28 : 16);
    if (column.status === 'ok') {
      const spread = `[${formatNs(column.lowNs)} .. ${formatNs(column.highNs)}]`;
      const speed =
        column.vsBase === undefined
          ? ''
          : `${formatRatio(column.vsBase)} vs ${labels[c.baseline]} (rounds ${formatRatio(column.vsBaseLow)} .. ${formatRatio(column.vsBaseHigh)})`;
      lines.push(`  ${label} ${formatNs(column.medianNs).padStart(10)}  ${spread.padEnd(26)} ${speed}`);
    } else {
      lines.push(`  ${label} ${column.status === 'failed' ? 'FAILED' : 'absent'}: ${column.reason}`);
    }
  }
  if (c.memory) lines.push(`  ${'index memory'.padEnd(16)} ${memoryText(c.memory)}`);
  return lines;
}

/** Below 1 MiB, allocator reuse and page granularity swamp an RSS difference: no verdict. */
export const RSS_RESOLUTION = 2 ** 20;

export function memoryVerdict(m: IndexMemory): string {
  if (m.limitBytes < RSS_RESOLUTION) return 'n/a (below RSS resolution)';
  return m.medianBytes <= m.limitBytes ? 'met' : 'short';
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '-';
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${bytes} B`;
  if (abs < 1024 ** 2) return `${(bytes / 1024).toPrecision(3)} KiB`;
  if (abs < 1024 ** 3) return `${(bytes / 1024 ** 2).toPrecision(3)} MiB`;
  return `${(bytes / 1024 ** 3).toPrecision(3)} GiB`;
}

/** "12.3 MiB RSS growth (median of 5 builds, 11.9 MiB .. 13.0 MiB) = 2x UTF-8 + 12.1 B/candidate; limit 2x + 16 B: met". */
export function memoryText(m: IndexMemory): string {
  const perCandidate = (m.medianBytes - 2 * m.utf8Bytes) / m.candidates;
  const verdict = memoryVerdict(m);
  return (
    `${formatBytes(m.medianBytes)} RSS growth (median of ${m.builds.length} builds, ${formatBytes(Math.min(...m.builds))} .. ${formatBytes(Math.max(...m.builds))}) ` +
    `for ${formatBytes(m.utf8Bytes)} of UTF-8 = 2x UTF-8 ${perCandidate >= 0 ? '+' : '-'} ${Math.abs(perCandidate).toFixed(1)} B per candidate; limit 2x + 16 B (${formatBytes(m.limitBytes)}): ${verdict}`
  );
}

export function asyncLines(a: AsyncResult): string[] {
  const lines = [`${a.id}: ${a.title}`, `  sync loop         ${formatNs(a.syncNs).padStart(10)} per call`];
  for (const level of a.levels) {
    lines.push(
      `  ${String(level.inFlight).padStart(3)} in flight      ${formatNs(level.medianNs).padStart(10)} per call  ` +
        `${Math.round(level.callsPerSecond)} calls/s  ${formatRatio(level.vsOne)} the throughput of 1 in flight, ${level.cores.toFixed(2)} cores busy`,
    );
  }
  return lines;
}

export function targetLine(t: TargetResult): string {
  if (t.value === undefined) return `  [n/a ] ${t.text} ${t.op} ${t.limit}: not measured (${t.why})`;
  return (
    `  [${t.met ? 'met ' : t.issue ? 'not met' : 'MISS'}] ${t.text}: ${t.value.toFixed(2)} (rounds ${t.low!.toFixed(2)}..${t.high!.toFixed(2)}), target ${t.op} ${t.limit}` +
    (t.note ? `; ${t.note}` : '')
  );
}

function machineLines(m: Machine): string[] {
  return [
    `- CPU: ${m.cpu}, ${m.cores} cores visible, ${m.memoryGiB} GiB RAM; ${m.os}`,
    `- Node ${m.node} (V8 ${m.v8}), koffi ${m.koffi}, ${m.rustc}`,
    `- load average at start ${m.loadAverageStart.map((x) => x.toFixed(2)).join(' ')}` +
      (m.loadAverageEnd ? `, at end ${m.loadAverageEnd.map((x) => x.toFixed(2)).join(' ')}` : '') +
      ' (other work on the machine: absolute times are noisy, ratios are paired per round)',
    `- library: ${m.library}`,
    `- N-API addon: ${m.napi}`,
    `- wasm: ${m.wasm}`,
  ];
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

export function markdown(run: RunResult): string {
  const out: string[] = [];
  out.push(`# Benchmarks, ${run.date} (${run.mode})`, '', ...machineLines(run.machine), '', run.method, '');
  out.push('## Time per call (median) and speedup vs the baseline', '');
  const mainCases = run.cases.filter((c) => !c.labels);
  const ids = COLUMN_IDS.filter((id) => mainCases.some((c) => c.columns[id]));
  out.push(`| case | ${ids.map((id) => COLUMNS[id]).join(' | ')} |`);
  out.push(`| --- | ${ids.map(() => '---:').join(' | ')} |`);
  const notes: string[] = [];
  for (const c of mainCases) {
    const cells = ids.map((id) => {
      const column = c.columns[id];
      if (!column) return '';
      if (column.status === 'ok') return `${formatNs(column.medianNs)}${id === c.baseline ? '' : ` (${formatRatio(column.vsBase)})`}`;
      if (column.status === 'failed') return `FAILED`;
      const note = notes.indexOf(column.reason) === -1 ? notes.push(column.reason) : notes.indexOf(column.reason) + 1;
      return `- [${note}]`;
    });
    out.push(`| ${mdCell(c.id)}${c.baseline === 'ts' ? '' : ` (vs ${COLUMNS[c.baseline as ColumnId]})`} | ${cells.join(' | ')} |`);
  }
  out.push(
    '',
    'In parentheses: speedup = baseline time / column time, paired round by round (> 1: faster than the baseline). The baseline is ' +
      'pure TS, except for rows marked "vs N-API C addon" (call cost and string round trips, where pure TS does no comparable work).',
    '',
  );
  if (notes.length) {
    out.push('Absent columns:', '');
    notes.forEach((n, i) => {
      out.push(`${i + 1}. ${mdCell(n)}`);
    });
    out.push('');
  }
  out.push(...anchorMarkdown(run));
  out.push(...scaleMarkdown(run));
  if (run.async.length) {
    out.push('## Async throughput (typed API, koffi worker threads)', '');
    out.push('| case | sync call | 1 in flight | 2 in flight | 200 in flight |', '| --- | ---: | ---: | ---: | ---: |');
    for (const a of run.async) {
      const at = (n: number) => {
        const l = a.levels.find((x) => x.inFlight === n);
        return l ? `${formatNs(l.medianNs)}/call (${formatRatio(l.vsOne)}, ${l.cores.toFixed(2)} cores)` : '-';
      };
      out.push(`| ${mdCell(a.title)} | ${formatNs(a.syncNs)} | ${at(1)} | ${at(2)} | ${at(200)} |`);
    }
    out.push(
      '',
      'Per-call time at each level = wall time / calls; (x) = throughput relative to 1 in flight; cores = CPU time of the process / wall time (2.0 = both cores were ours; less means other processes had them).',
      '',
    );
  }
  out.push('## Targets', '', '| target | measured (round range) | limit | |', '| --- | ---: | ---: | --- |');
  for (const t of run.targets.filter((x) => !x.issue)) {
    const value = t.value === undefined ? `not measured: ${t.why}` : `${t.value.toFixed(2)} (${t.low!.toFixed(2)}-${t.high!.toFixed(2)})`;
    const note = t.note ? `; ${t.note}` : '';
    out.push(`| ${mdCell(t.text)} | ${mdCell(value + note)} | ${t.op} ${t.limit} | ${t.value === undefined ? 'n/a' : t.met ? 'met' : '**missed**'} |`);
  }
  const issue = run.targets.filter((x) => x.issue);
  if (issue.length) {
    out.push('', '## Goals of issue 24', '', '| goal | measured (round range) | limit | |', '| --- | ---: | ---: | --- |');
    for (const t of issue) {
      const value = t.value === undefined ? `not measured: ${t.why}` : `${t.value.toFixed(2)} (${t.low!.toFixed(2)}-${t.high!.toFixed(2)})`;
      out.push(
        `| ${mdCell(t.text)} | ${mdCell(value + (t.note ? `; ${t.note}` : ''))} | ${t.op} ${t.limit} | ${t.value === undefined ? 'n/a' : t.met ? 'met' : '**not met**'} |`,
      );
    }
  }
  if (run.failures.length) out.push('', '## Failures', '', ...run.failures.map((f) => `- ${mdCell(f)}`));
  out.push('');
  return out.join('\n');
}

const COLORS: Record<ColumnId, string> = {
  ts: '#888888',
  typed: '#d9480f',
  raw: '#f08c00',
  napi: '#1c7ed6',
  wasm: '#6741d9',
  npm: '#2b8a3e',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Speedup vs pure TS per case and column, log scale, one bar group per case. */
export function svgChart(run: RunResult): string {
  // Pure TS is the baseline of most rows; where N-API is (string round trips) a V8 rope is not comparable work.
  const shown = COLUMN_IDS.filter((id) => id !== 'ts' && run.cases.some((c) => id !== c.baseline && c.columns[id]?.status === 'ok'));
  const rows = run.cases.filter((c) => shown.some((id) => id !== c.baseline && c.columns[id]?.status === 'ok'));
  const values = rows.flatMap((c) =>
    shown.flatMap((id) => {
      const col = c.columns[id];
      return id !== c.baseline && col?.status === 'ok' && col.vsBase ? [col.vsBase] : [];
    }),
  );
  const lo = 10 ** Math.floor(Math.log10(Math.min(0.1, ...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(10, ...values)));
  const left = 230;
  const width = 900;
  const plot = width - left - 30;
  const bar = 7;
  const rowHeight = shown.length * bar + 10;
  const top = 56;
  const height = top + rows.length * rowHeight + 50;
  const x = (v: number) => left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plot;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(
    `<text x="20" y="16" font-size="13" font-weight="bold">Speedup vs pure TypeScript, or vs the N-API addon where marked (log scale; right of 1x = faster), ${esc(run.date)}</text>`,
  );
  shown.forEach((id, i) => {
    const lx = 20 + i * 140;
    parts.push(`<rect x="${lx}" y="26" width="10" height="10" fill="${COLORS[id]}"/><text x="${lx + 14}" y="35">${esc(COLUMNS[id])}</text>`);
  });
  for (let p = Math.log10(lo); p <= Math.log10(hi); p++) {
    const v = 10 ** p;
    const gx = x(v).toFixed(1);
    parts.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 40}" stroke="${v === 1 ? '#000' : '#ddd'}"/>`);
    parts.push(`<text x="${gx}" y="${height - 26}" text-anchor="middle">${v >= 1 ? v : v.toPrecision(1)}x</text>`);
  }
  rows.forEach((c, r) => {
    const y0 = top + r * rowHeight;
    const label = c.baseline === 'ts' ? c.id : `${c.id} (vs N-API)`;
    parts.push(`<text x="${left - 6}" y="${y0 + rowHeight / 2 + 3}" text-anchor="end">${esc(label)}</text>`);
    shown.forEach((id, i) => {
      const col = c.columns[id];
      if (id === c.baseline || col?.status !== 'ok' || !col.vsBase) return;
      const x0 = x(1);
      const x1 = x(Math.min(hi, Math.max(lo, col.vsBase)));
      const y = y0 + 5 + i * bar;
      parts.push(
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${bar - 1}" fill="${COLORS[id]}"><title>${esc(`${c.id}, ${COLUMNS[id]}: ${formatRatio(col.vsBase)} (${formatNs(col.medianNs)})`)}</title></rect>`,
      );
    });
  });
  parts.push(
    `<text x="${left}" y="${height - 8}" fill="#555">${esc(`${run.machine.cpu}, ${run.machine.cores} cores, Node ${run.machine.node}, koffi ${run.machine.koffi}. Bars: median of per-round paired ratios.`)}</text>`,
  );
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** The anchor section: one row per case, every column with its speedup over the case's baseline and the round range. */
function anchorMarkdown(run: RunResult): string[] {
  const rows = run.cases.filter((c) => c.group === 'fuzzy, anchor data' && c.labels);
  if (!rows.length) return [];
  const labels = rows[0]!.labels!;
  const ids = Object.keys(labels).filter((id) => rows.some((c) => c.columns[id]));
  const out = ['## Fuzzy search on the anchor data (issue 24)', ''];
  out.push(`| case | ${ids.map((id) => labels[id]).join(' | ')} |`, `| --- | ${ids.map(() => '---:').join(' | ')} |`);
  for (const c of rows) {
    const cells = ids.map((id) => {
      const col = c.columns[id];
      if (!col) return '';
      if (col.status !== 'ok') return col.status === 'failed' ? 'FAILED' : 'absent';
      const range = `${formatNs(col.lowNs)}-${formatNs(col.highNs)}`;
      if (id === c.baseline) return `${formatNs(col.medianNs)} [${range}]`;
      return `${formatNs(col.medianNs)} [${range}] (${formatRatio(col.vsBase)}, ${formatRatio(col.vsBaseLow)}-${formatRatio(col.vsBaseHigh)})`;
    });
    out.push(`| ${mdCell(c.id)}: ${mdCell(c.title)} | ${cells.join(' | ')} |`);
  }
  out.push(
    '',
    'Median time per query [range over rounds] (speedup over the first timed column of the row, paired round by round, with its range). ' +
      'Rows without a fastest-levenshtein column take `threads: 1` as their baseline. Data: xoshiro128** letters, one stream per data set.',
    '',
  );
  return out;
}

/** Candidates of a scale case: from its memory record, else its id (scale/1k .. scale/1M). */
function scaleCount(c: CaseResult): number {
  if (c.memory) return c.memory.candidates;
  const m = /(\d+)([kM]?)$/.exec(c.id);
  return m ? Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1) : NaN;
}

const SCALE_SERIES: ColumnId[] = ['typed', 'ts', 'npm'];
const SCALE_LABELS: Record<string, string> = { typed: 'FuzzyIndex.closest (Rust)', ts: 'pure TS', npm: 'fastest-levenshtein loop' };

function scaleRows(run: RunResult): CaseResult[] {
  return run.cases.filter((c) => c.group === 'scale' && Number.isFinite(scaleCount(c))).sort((a, b) => scaleCount(a) - scaleCount(b));
}

/** The scale-curve section: time per query by candidate count, and the index's native memory. */
function scaleMarkdown(run: RunResult): string[] {
  const rows = scaleRows(run);
  if (!rows.length) return [];
  const out = ['## Scale curve: FuzzyIndex.closest, 1 query, best 10', ''];
  out.push(
    '| candidates | UTF-8 | Rust, typed | pure TS | fastest-levenshtein loop | index native memory (RSS growth) | 2x UTF-8 + B/candidate | <= 2x + 16 B |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  const cell = (c: CaseResult, id: ColumnId) => {
    const col = c.columns[id];
    if (col?.status === 'ok') return formatNs(col.medianNs);
    return col?.status === 'failed' ? 'FAILED' : 'not timed';
  };
  for (const c of rows) {
    const m = c.memory;
    const mem = m ? `${formatBytes(m.medianBytes)} (${formatBytes(Math.min(...m.builds))}-${formatBytes(Math.max(...m.builds))})` : 'not measured';
    const per = m ? `${((m.medianBytes - 2 * m.utf8Bytes) / m.candidates).toFixed(1)} B` : '-';
    const verdict = m ? memoryVerdict(m).replace('short', '**short**') : 'n/a';
    out.push(
      `| ${scaleCount(c).toLocaleString('en-US')} | ${m ? formatBytes(m.utf8Bytes) : '-'} | ${cell(c, 'typed')} | ${cell(c, 'ts')} | ${cell(c, 'npm')} | ${mem} | ${per} | ${verdict} |`,
    );
  }
  const method = rows.find((c) => c.memory)?.memory?.method;
  out.push(
    '',
    `Times: median per query, default threads. Memory is RSS-based, not an allocator count: ${method ?? 'RSS growth around building the index'}. ` +
      'At small scales page granularity and allocator reuse dominate; the figure that matters is the largest index. Chart: the -scale.svg beside this file.',
    '',
  );
  return out;
}

/** Time per query against candidate count, log-log, one line per column that was timed. */
export function svgScaleChart(run: RunResult): string {
  const rows = scaleRows(run);
  const series = SCALE_SERIES.map((id) => ({
    id,
    points: rows.flatMap((c) => {
      const col = c.columns[id];
      return col?.status === 'ok' && Number.isFinite(col.medianNs) ? [{ n: scaleCount(c), ns: col.medianNs, low: col.lowNs, high: col.highNs }] : [];
    }),
  })).filter((s) => s.points.length);
  const all = series.flatMap((s) => s.points);
  const width = 720;
  const height = 440;
  const left = 80;
  const right = 190;
  const top = 40;
  const bottom = 60;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="18" font-size="13" font-weight="bold">FuzzyIndex.closest scale curve: time per query vs candidates (log-log), ${esc(run.date)}</text>`,
  ];
  if (!all.length) {
    parts.push(`<text x="20" y="60">No scale case was timed in this run.</text>`, '</svg>', '');
    return parts.join('\n');
  }
  const nLo = 10 ** Math.floor(Math.log10(Math.min(...all.map((p) => p.n))));
  const nHi = 10 ** Math.ceil(Math.log10(Math.max(...all.map((p) => p.n))));
  const tLo = 10 ** Math.floor(Math.log10(Math.min(...all.map((p) => p.low))));
  const tHi = 10 ** Math.ceil(Math.log10(Math.max(...all.map((p) => p.high))));
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const span = (lo: number, hi: number) => Math.max(1e-9, Math.log10(hi) - Math.log10(lo));
  const x = (n: number) => left + ((Math.log10(n) - Math.log10(nLo)) / span(nLo, nHi)) * plotW;
  const y = (ns: number) => top + plotH - ((Math.log10(ns) - Math.log10(tLo)) / span(tLo, tHi)) * plotH;
  for (let p = Math.log10(nLo); p <= Math.log10(nHi) + 1e-9; p++) {
    const gx = x(10 ** p).toFixed(1);
    parts.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${top + plotH}" stroke="#ddd"/>`);
    parts.push(`<text x="${gx}" y="${top + plotH + 16}" text-anchor="middle">${(10 ** p).toLocaleString('en-US')}</text>`);
  }
  for (let p = Math.log10(tLo); p <= Math.log10(tHi) + 1e-9; p++) {
    const gy = y(10 ** p).toFixed(1);
    parts.push(`<line x1="${left}" y1="${gy}" x2="${left + plotW}" y2="${gy}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${(Number(gy) + 4).toFixed(1)}" text-anchor="end">${esc(formatNs(10 ** p))}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#000"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 36}" text-anchor="middle">candidates (8-32 letters each)</text>`);
  parts.push(`<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">time per query (median)</text>`);
  series.forEach((s, i) => {
    const color = COLORS[s.id];
    const path = s.points.map((p) => `${x(p.n).toFixed(1)},${y(p.ns).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of s.points) {
      const px = x(p.n).toFixed(1);
      parts.push(`<line x1="${px}" y1="${y(p.low).toFixed(1)}" x2="${px}" y2="${y(p.high).toFixed(1)}" stroke="${color}"/>`);
      parts.push(
        `<circle cx="${px}" cy="${y(p.ns).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${SCALE_LABELS[s.id]}, ${p.n.toLocaleString('en-US')} candidates: ${formatNs(p.ns)} per query (rounds ${formatNs(p.low)} .. ${formatNs(p.high)})`)}</title></circle>`,
      );
    }
    const ly = top + 10 + i * 18;
    parts.push(
      `<rect x="${left + plotW + 14}" y="${ly - 8}" width="10" height="10" fill="${color}"/><text x="${left + plotW + 28}" y="${ly + 1}">${esc(SCALE_LABELS[s.id]!)}</text>`,
    );
  });
  const memory = rows.filter((c) => c.memory).map((c) => `${scaleCount(c).toLocaleString('en-US')}: ${formatBytes(c.memory!.medianBytes)}`);
  if (memory.length) parts.push(`<text x="${left}" y="${height - 22}" fill="#555">${esc(`index native memory (RSS growth): ${memory.join(', ')}`)}</text>`);
  parts.push(
    `<text x="${left}" y="${height - 8}" fill="#555">${esc(`${run.machine.cpu}, ${run.machine.cores} cores, Node ${run.machine.node}. Points: median per query; bars: range over rounds. Missing points were not timed.`)}</text>`,
    '</svg>',
    '',
  );
  return parts.join('\n');
}

const ANCHOR_COLORS: Record<string, string> = { t1: '#f08c00', auto: '#d9480f', oneShot: '#6741d9', npm: '#2b8a3e' };

/** The anchor cases: speedup of each column over the row's baseline (log scale), with the range over rounds. */
export function svgAnchorChart(run: RunResult): string {
  const rows = run.cases.filter((c) => c.group === 'fuzzy, anchor data' && c.labels);
  const labels = rows[0]?.labels ?? {};
  const shown = Object.keys(labels).filter((id) => rows.some((c) => id !== c.baseline && c.columns[id]?.status === 'ok'));
  const width = 900;
  const left = 300;
  const plot = width - left - 30;
  const bar = 9;
  const rowHeight = shown.length * bar + 12;
  const top = 56;
  const height = top + Math.max(1, rows.length) * rowHeight + 50;
  const values = rows.flatMap((c) =>
    shown.flatMap((id) => {
      const col = c.columns[id];
      return id !== c.baseline && col?.status === 'ok' && col.vsBase ? [col.vsBaseLow ?? col.vsBase, col.vsBaseHigh ?? col.vsBase] : [];
    }),
  );
  const lo = 10 ** Math.floor(Math.log10(Math.min(0.1, ...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(10, ...values)));
  const x = (v: number) => left + ((Math.log10(Math.min(hi, Math.max(lo, v))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plot;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="16" font-size="13" font-weight="bold">Fuzzy search, anchor data: speedup over the fastest-levenshtein loop, or over threads: 1 where marked (log scale), ${esc(run.date)}</text>`,
  ];
  shown.forEach((id, i) => {
    const lx = 20 + i * 200;
    parts.push(`<rect x="${lx}" y="26" width="10" height="10" fill="${ANCHOR_COLORS[id] ?? '#888'}"/><text x="${lx + 14}" y="35">${esc(labels[id]!)}</text>`);
  });
  for (let p = Math.log10(lo); p <= Math.log10(hi); p++) {
    const v = 10 ** p;
    const gx = x(v).toFixed(1);
    parts.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 40}" stroke="${v === 1 ? '#000' : '#ddd'}"/>`);
    parts.push(`<text x="${gx}" y="${height - 26}" text-anchor="middle">${v >= 1 ? v : v.toPrecision(1)}x</text>`);
  }
  rows.forEach((c, r) => {
    const y0 = top + r * rowHeight;
    const label = c.baseline === 'npm' ? c.id : `${c.id} (vs threads: 1)`;
    parts.push(`<text x="${left - 6}" y="${y0 + rowHeight / 2 + 3}" text-anchor="end">${esc(label)}</text>`);
    shown.forEach((id, i) => {
      const col = c.columns[id];
      if (id === c.baseline || col?.status !== 'ok' || !col.vsBase) return;
      const x0 = x(1);
      const x1 = x(col.vsBase);
      const y = y0 + 6 + i * bar;
      const color = ANCHOR_COLORS[id] ?? '#888';
      parts.push(
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${bar - 2}" fill="${color}"><title>${esc(`${c.id}, ${labels[id]}: ${formatRatio(col.vsBase)} (rounds ${formatRatio(col.vsBaseLow)} .. ${formatRatio(col.vsBaseHigh)}), ${formatNs(col.medianNs)}`)}</title></rect>`,
      );
      const yMid = (y + (bar - 2) / 2).toFixed(1);
      parts.push(
        `<line x1="${x(col.vsBaseLow ?? col.vsBase).toFixed(1)}" y1="${yMid}" x2="${x(col.vsBaseHigh ?? col.vsBase).toFixed(1)}" y2="${yMid}" stroke="#000"/>`,
      );
    });
  });
  parts.push(
    `<text x="${left}" y="${height - 8}" fill="#555">${esc(`${run.machine.cpu}, ${run.machine.cores} cores, Node ${run.machine.node}. Bars: median of per-round paired ratios; lines: their range.`)}</text>`,
    '</svg>',
    '',
  );
  return parts.join('\n');
}
