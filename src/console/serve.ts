/**
 * Serves the console (the web UI, src/console/web) at `/console`, from the same process as the API. The assets are
 * built by `npm run build` (scripts/build-console.mjs, run by `npm start`'s prestart) into `dist/console/`: content-
 * hashed files under `assets/` (cached for a year, immutable) and `index.html` (never cached, so a new build is
 * picked up at the next load). Every other path under `/console` answers index.html: the console routes on the
 * client. The console talks to the public API only, with the API key the user signs in with; it gets no route of
 * its own.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const CONSOLE_PREFIX = '/console';

/**
 * Where `npm run build` puts the assets, seen from this module: compiled (dist/src/console/serve.js) it is
 * dist/console; run from source (tsx: src/console/serve.ts) it is the build's output all the same.
 */
const CANDIDATE_DIRS = [new URL('../../console/', import.meta.url), new URL('../../dist/console/', import.meta.url)].map((url) => fileURLToPath(url));

export function defaultConsoleDir(): string | null {
  return CANDIDATE_DIRS.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Same-origin only: the console's own scripts and styles, and calls to this gateway's API. No inline script or
 * style, no framing (clickjacking), no referrer (URLs can hold ids).
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sluice console</title></head>
<body><main><h1>The console is not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>, which builds first) and reload.</p></main></body></html>`;

export interface ConsoleOptions {
  /** The built assets (index.html and assets/); default: dist/console. Null = not built (a page says how to build). */
  dir?: string | null;
}

export function consoleRoutes(options: ConsoleOptions = {}) {
  return async (app: FastifyInstance): Promise<void> => {
    const dir = options.dir === undefined ? defaultConsoleDir() : options.dir;
    // index.html is small and changes only with a build: read once, at the first request.
    let index: Promise<Buffer> | null = null;
    const sendIndex = async (reply: FastifyReply) => {
      void reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache' });
      if (dir === null) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
      index ??= readFile(join(dir, 'index.html'));
      return reply.type('text/html; charset=utf-8').send(await index);
    };

    app.get(CONSOLE_PREFIX, { schema: { hide: true } }, async (_request, reply) => sendIndex(reply));
    app.get<{ Params: { '*': string } }>(`${CONSOLE_PREFIX}/*`, { schema: { hide: true } }, async (request, reply) => {
      const path = request.params['*'];
      if (dir === null || !path.startsWith('assets/')) return sendIndex(reply);
      // Only files under assets/, never a path that climbs out of it.
      const assets = join(dir, 'assets') + sep;
      const file = normalize(join(dir, path));
      if (!file.startsWith(assets)) return sendIndex(reply);
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        return reply
          .code(404)
          .headers({ 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' })
          .type('text/plain; charset=utf-8')
          .send('No such console asset: reload the console (a newer build may have replaced it).');
      }
      return reply
        .headers({ 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' })
        .type(TYPES[extname(file)] ?? 'application/octet-stream')
        .send(body);
    });
  };
}
