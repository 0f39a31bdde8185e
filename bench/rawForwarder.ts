/**
 * The physical limit of end to end on this machine: receive a webhook, forward it with undici over a keep-alive
 * pool, answer once the receiver answered. It stores nothing, retries nothing and signs nothing, so a crash or a
 * failing receiver loses the message: this is what the gateway's guarantees are measured against.
 *
 * argv: <port> <destination url>
 */
import Fastify from 'fastify';
import { Pool } from 'undici';

const port = Number(process.argv[2] ?? 0);
const destination = new URL(process.argv[3] ?? 'http://127.0.0.1:1/hook');
const pool = new Pool(destination.origin, { connections: 64, pipelining: 1, keepAliveTimeout: 60_000 });

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 }, (_request, body, done) => done(null, body));
app.get('/healthz', async () => ({ status: 'ok' }));
app.post<{ Params: { id: string } }>('/e/:id', async (request, reply) => {
  const upstream = await pool.request({
    path: destination.pathname,
    method: 'POST',
    headers: { 'content-type': request.headers['content-type'] ?? 'application/octet-stream' },
    body: request.body as Buffer,
  });
  await upstream.body.dump();
  return reply.code(upstream.statusCode >= 200 && upstream.statusCode < 300 ? 200 : 502).send({ status: 'FORWARDED', status_code: upstream.statusCode });
});

app.listen({ port, host: '127.0.0.1' }).then(
  () => process.send?.({ type: 'ready', port }),
  (error: unknown) => {
    process.stderr.write(`rawForwarder: ${String(error)}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => void app.close().then(() => pool.close()).then(() => process.exit(0)));
