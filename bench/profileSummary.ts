/**
 * Summarises a V8 .cpuprofile (written by `node --cpu-prof`) as text: the functions with the most self time, and
 * self time per module (our files, each dependency, Node's internals), so a benchmark report can show where a
 * process spent its CPU without a browser.
 *
 *   npx tsx bench/profileSummary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of samples in which the process was idle (waiting for I/O). */
  idleShare: number;
  functions: ProfileLine[];
  modules: ProfileLine[];
  /** Sluice's own functions (dist/src) by total time, callees included: where the time goes, by our code's path. */
  ownInclusive: ProfileLine[];
}

/** Where a function lives, shortened: `src/store/sqlite/claim.ts`, `undici`, `node:internal/http`, `(native)`. */
function moduleOf(url: string): string {
  if (url === '') return '(native / V8)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = clean.slice(nm + 'node_modules/'.length).split('/');
    return (rest[0] ?? '').startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? clean);
  }
  const dist = clean.indexOf('/dist/');
  if (dist !== -1) return clean.slice(dist + '/dist/'.length);
  if (clean.startsWith('node:')) return clean.split('/').slice(0, 3).join('/');
  return clean.split('/').slice(-3).join('/');
}

export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const mod = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    total += us;
    if (frame.functionName === '(idle)') idle += us;
    const where = frame.url === '' ? '' : `${moduleOf(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}@${where}`;
    const entry = fn.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    fn.set(key, entry);
    const m = frame.url === '' ? frame.functionName.startsWith('(') ? frame.functionName : '(native / V8)' : moduleOf(frame.url);
    mod.set(m, (mod.get(m) ?? 0) + us);
  }
  const line = (name: string, where: string, us: number): ProfileLine => ({ name, where, selfMs: us / 1000, share: total === 0 ? 0 : us / total });
  // Inclusive time of our own functions: walk each sampled node's stack once, counting each function once.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const own = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame === undefined || !/\/dist\/src\//.test(frame.url)) continue;
      const where = `${moduleOf(frame.url)}:${frame.lineNumber + 1}`;
      const key = `${frame.functionName}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = own.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
      entry.us += us;
      own.set(key, entry);
    }
  }
  return {
    totalMs: total / 1000,
    idleShare: total === 0 ? 0 : idle / total,
    functions: [...fn.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => line(e.name, e.where, e.us)),
    modules: [...mod.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([m, us]) => line(m, '', us)),
    ownInclusive: [...own.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => line(e.name, e.where, e.us)),
  };
}

export function formatProfile(summary: ProfileSummary, title: string): string {
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `${title}: ${(summary.totalMs / 1000).toFixed(1)} s sampled, idle ${pct(summary.idleShare).trim()}`,
    '  self time by function:',
    ...summary.functions.map((f) => `  ${pct(f.share)} ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`),
    '  self time by module:',
    ...summary.modules.map((m) => `  ${pct(m.share)} ${m.selfMs.toFixed(0).padStart(7)} ms  ${m.name}`),
    "  Sluice's functions by total time (callees included):",
    ...summary.ownInclusive.map((f) => `  ${pct(f.share)} ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`),
  ];
  return lines.join('\n');
}

export function summariseProfileFile(file: string, top = 25): ProfileSummary {
  return summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: tsx bench/profileSummary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatProfile(summariseProfileFile(file, Number(process.argv[3] ?? 25)), file)}\n`);
}
