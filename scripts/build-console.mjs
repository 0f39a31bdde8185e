// Builds the console (src/console/web) into dist/console: one bundled, minified, content-hashed script and style
// sheet under assets/, and index.html pointing at them. Run by `npm run build` (hence by `npm start`). esbuild is
// the whole tool chain: it compiles the TSX (preact's JSX runtime) and bundles in well under a second.
// Usage: node scripts/build-console.mjs [outDir]   (default dist/console)
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outDir = resolve(root, process.argv[2] ?? 'dist/console');
const webDir = join(root, 'src/console/web');

rmSync(outDir, { recursive: true, force: true });
mkdirSync(join(outDir, 'assets'), { recursive: true });

const started = Date.now();
const result = await build({
  entryPoints: { app: join(webDir, 'main.tsx') },
  outdir: join(outDir, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(webDir, 'tsconfig.json'),
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const script = outputs.find((name) => /^app-.*\.js$/.test(name));
const style = outputs.find((name) => /^app-.*\.css$/.test(name));
if (script === undefined || style === undefined) throw new Error(`console build: expected app-*.js and app-*.css, got ${outputs.join(', ')}`);

const html = readFileSync(join(webDir, 'index.html'), 'utf8')
  .replace('%SCRIPT%', `/console/assets/${script}`)
  .replace('%STYLE%', `/console/assets/${style}`);
writeFileSync(join(outDir, 'index.html'), html);
console.log(`console built in ${Date.now() - started} ms: ${join(outDir, 'index.html')}, assets/${script}, assets/${style}`);
