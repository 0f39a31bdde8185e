/**
 * The ceiling of this machine for ingest: the same Fastify version as the gateway, the same route shape
 * (`POST /e/:id`, any content type read as bytes), answering the same kind of JSON — and storing nothing.
 * Whatever the gateway does beyond this (durable commit, lookups, ids) is what its ingest costs.
 */
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 }, (_request, body, done) => done(null, body));
app.get('/healthz', async () => ({ status: 'ok' }));
app.post<{ Params: { id: string } }>('/e/:id', async (request, reply) => {
  const requestId = `req_${randomUUID()}`;
  void reply.header('x-sluice-request-id', requestId).type('application/json; charset=utf-8');
  return JSON.stringify({ status: 'SUCCESS', message: 'Request received', request_id: requestId, event_ids: [`evt_${request.params.id}`] });
});

const port = Number(process.argv[2] ?? 0);
app.listen({ port, host: '127.0.0.1' }).then(
  () => process.send?.({ type: 'ready', port }),
  (error: unknown) => {
    process.stderr.write(`bareFastify: ${String(error)}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
