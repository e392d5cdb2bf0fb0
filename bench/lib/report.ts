/** Result types and the writers: stdout lines, JSON, a markdown table, an SVG chart. */
import { join } from 'node:path';
import { COLUMN_IDS, COLUMNS, type ColumnId } from './cases.ts';
import { median, pairedRatio } from './measure.ts';
import type { IndexMemory } from './memory.ts';
import type { TargetResult } from './targets.ts';
import { anchorMarkdown, scaleMarkdown } from './report-fuzzy.ts';

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
  /** Column ids and titles of a case with columns of its own; else COLUMNS. */
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

export const mdCell = (s: string) => s.replace(/\|/g, '\\|');

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

export const COLORS: Record<ColumnId, string> = {
  ts: '#888888',
  typed: '#d9480f',
  raw: '#f08c00',
  napi: '#1c7ed6',
  wasm: '#6741d9',
  npm: '#2b8a3e',
};

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

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
