/**
 * Hand-written SVG charts: stacked bars (events per bucket by status) and a line (success rate). Each chart is an
 * image with a text summary for screen readers, a <title> per bar or point for pointer users, and the numbers in a
 * table under a disclosure for everyone.
 */
import type { ComponentChildren } from 'preact';

export interface Series {
  key: string;
  label: string;
  /** A CSS class giving its colour (see styles.css: .series-*). */
  className: string;
}

const WIDTH = 720;
const HEIGHT = 180;
const PAD = { top: 10, right: 10, bottom: 22, left: 40 };

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function Axis({ max, labels, format }: { max: number; labels: string[]; format: (v: number) => string }) {
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const ticks = [0, 0.5, 1];
  const every = Math.max(1, Math.ceil(labels.length / 6));
  const innerW = WIDTH - PAD.left - PAD.right;
  return (
    <g class="axis" aria-hidden="true">
      {ticks.map((t) => {
        const y = PAD.top + innerH * (1 - t);
        return (
          <g key={t}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y} y2={y} class="grid" />
            <text x={PAD.left - 6} y={y + 4} text-anchor="end">
              {format(max * t)}
            </text>
          </g>
        );
      })}
      {labels.map((label, i) =>
        i % every === 0 ? (
          <text key={i} x={PAD.left + (innerW * (i + 0.5)) / labels.length} y={HEIGHT - 6} text-anchor="middle">
            {label}
          </text>
        ) : null,
      )}
    </g>
  );
}

export function StackedBars({
  title,
  labels,
  rows,
  series,
  summary,
}: {
  title: string;
  labels: string[];
  rows: Record<string, number>[];
  series: Series[];
  summary: string;
}) {
  const totals = rows.map((row) => series.reduce((sum, s) => sum + (row[s.key] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const slot = innerW / Math.max(1, rows.length);
  const barW = Math.max(1, slot * 0.8);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}: ${summary}`}>
        <Axis max={max} labels={labels} format={(v) => String(Math.round(v))} />
        {rows.map((row, i) => {
          let y = PAD.top + innerH;
          return (
            <g key={i}>
              <title>{`${labels[i] ?? ''}: ${series.map((s) => `${s.label} ${row[s.key] ?? 0}`).join(', ')}`}</title>
              {series.map((s) => {
                const value = row[s.key] ?? 0;
                const h = (value / max) * innerH;
                y -= h;
                return value === 0 ? null : <rect key={s.key} class={s.className} x={PAD.left + i * slot + (slot - barW) / 2} y={y} width={barW} height={h} />;
              })}
            </g>
          );
        })}
      </svg>
      <Legend series={series} />
      <DataTable title={title} labels={labels} columns={series.map((s) => s.label)} rows={rows.map((row) => series.map((s) => String(row[s.key] ?? 0)))} />
    </figure>
  );
}

export function RateLine({ title, labels, values, summary }: { title: string; labels: string[]; values: (number | null)[]; summary: string }) {
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const slot = innerW / Math.max(1, values.length);
  const points = values
    .map((v, i) => (v === null ? null : { x: PAD.left + slot * (i + 0.5), y: PAD.top + innerH * (1 - v), v, i }))
    .filter((p): p is { x: number; y: number; v: number; i: number } => p !== null);
  const path = points.map((p, n) => `${n === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}: ${summary}`}>
        <Axis max={1} labels={labels} format={(v) => `${Math.round(v * 100)}%`} />
        {path === '' ? null : <path d={path} class="line" />}
        {points.map((p) => (
          <circle key={p.i} cx={p.x} cy={p.y} r={3} class="point">
            <title>{`${labels[p.i] ?? ''}: ${(p.v * 100).toFixed(1)}%`}</title>
          </circle>
        ))}
      </svg>
      <DataTable title={title} labels={labels} columns={['Success rate']} rows={values.map((v) => [v === null ? '—' : `${(v * 100).toFixed(1)}%`])} />
    </figure>
  );
}

function Legend({ series }: { series: Series[] }) {
  return (
    <ul class="legend" aria-hidden="true">
      {series.map((s) => (
        <li key={s.key}>
          <svg width="10" height="10" viewBox="0 0 10 10">
            <rect class={s.className} width="10" height="10" />
          </svg>{' '}
          {s.label}
        </li>
      ))}
    </ul>
  );
}

function DataTable({ title, labels, columns, rows }: { title: string; labels: string[]; columns: string[]; rows: ComponentChildren[][] }) {
  return (
    <details class="chart-data">
      <summary>Data: {title}</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((cells, i) => (
            <tr key={i}>
              <th scope="row">{labels[i]}</th>
              {cells.map((cell, j) => (
                <td key={j}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
