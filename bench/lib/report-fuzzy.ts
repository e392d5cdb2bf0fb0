/** The fuzzy search's sections of the report: the anchor cases and the scale curve, as markdown and as charts. */
import type { ColumnId } from './cases.ts';
import { COLORS, type CaseResult, type RunResult, esc, formatBytes, formatNs, formatRatio, mdCell, memoryVerdict } from './report.ts';

/** The anchor section: one row per case, every column with its speedup over the case's baseline and the round range. */
export function anchorMarkdown(run: RunResult): string[] {
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
export function scaleMarkdown(run: RunResult): string[] {
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
