/**
 * The benchmark's chart as a hand-written SVG (no browser, no dependency): throughput per scenario as horizontal
 * bars, and p50 / p99 latency per scenario on a logarithmic axis.
 */

export interface ChartRow {
  label: string;
  /** per second; null = not measured in this scenario */
  throughput: number | null;
  /** ms */
  p50: number | null;
  p99: number | null;
  /** Bar colour group: the gateway, or a reference (ceiling / baseline). */
  kind: 'sluice' | 'reference';
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2));

export function renderChart(rows: ChartRow[], title: string): string {
  const width = 1000;
  const labelW = 300;
  const barW = width - labelW - 190;
  const rowH = 22;
  const tput = rows.filter((r) => r.throughput !== null && Number.isFinite(r.throughput));
  const lat = rows.filter((r) => r.p99 !== null && Number.isFinite(r.p99) && (r.p99 ?? 0) > 0);
  const top1 = 60;
  const h1 = tput.length * rowH;
  const top2 = top1 + h1 + 70;
  const h2 = lat.length * rowH;
  const height = top2 + h2 + 60;
  const colour = (r: ChartRow, dark: boolean) => (r.kind === 'sluice' ? (dark ? '#1f5fa8' : '#7fb0e8') : dark ? '#8a8a8a' : '#cfcfcf');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">${escape(title)}</text>`,
    `<text x="10" y="${top1 - 10}" font-size="14">Throughput (per second; blue = Sluice, grey = ceilings and baselines)</text>`,
  ];
  const maxT = Math.max(1, ...tput.map((r) => r.throughput ?? 0));
  tput.forEach((r, i) => {
    const y = top1 + i * rowH;
    const w = ((r.throughput ?? 0) / maxT) * barW;
    out.push(
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${escape(r.label)}</text>`,
      `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${colour(r, true)}"/>`,
      `<text x="${labelW + w + 6}" y="${y + 15}">${fmt(r.throughput ?? 0)}</text>`,
    );
  });
  // Latency: log10 axis from 0.1 ms to the largest p99.
  const minL = 0.1;
  const maxL = Math.max(10, ...lat.map((r) => r.p99 ?? 0));
  const scale = (v: number) => (Math.log10(Math.max(minL, v) / minL) / Math.log10(maxL / minL)) * barW;
  out.push(`<text x="10" y="${top2 - 30}" font-size="14">Latency, ms, log scale (light = p50, dark = p99)</text>`);
  for (let decade = minL; decade <= maxL * 1.0001; decade *= 10) {
    const x = labelW + scale(decade);
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${top2 - 12}" x2="${x.toFixed(1)}" y2="${top2 + h2}" stroke="#e0e0e0"/>`,
      `<text x="${x.toFixed(1)}" y="${top2 - 16}" text-anchor="middle" fill="#666">${fmt(decade)}</text>`,
    );
  }
  lat.forEach((r, i) => {
    const y = top2 + i * rowH;
    const w99 = scale(r.p99 ?? minL);
    const w50 = scale(r.p50 ?? minL);
    out.push(
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${escape(r.label)}</text>`,
      `<rect x="${labelW}" y="${y + 3}" width="${w99.toFixed(1)}" height="${rowH - 6}" fill="${colour(r, true)}"/>`,
      `<rect x="${labelW}" y="${y + 3}" width="${w50.toFixed(1)}" height="${rowH - 6}" fill="${colour(r, false)}"/>`,
      `<text x="${labelW + w99 + 6}" y="${y + 15}">p50 ${fmt(r.p50 ?? 0)} / p99 ${fmt(r.p99 ?? 0)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
