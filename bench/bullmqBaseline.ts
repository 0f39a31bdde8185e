/**
 * "What teams build instead": a webhook relay written the way a TypeScript team usually writes one, with Fastify,
 * BullMQ on Redis and an undici worker. The API process enqueues each webhook and answers 200 once Redis has it;
 * the worker process (concurrency 50, keep-alive pool) forwards it and lets BullMQ retry failures (10 retries,
 * exponential from 30 s, as Sluice's default schedule).
 *
 * Durability: an enqueued job is acknowledged when Redis has it in memory. How much of that survives a crash
 * depends on Redis's own persistence; the benchmark machine's Redis runs with none (`save ""`, `appendonly no`),
 * so a Redis restart loses every queued job. Completed jobs are removed (the last 1,000 kept), failed ones kept
 * up to 10,000.
 *
 * argv: <role api|worker> <port> <queue name> <destination url>
 */
import { Queue, Worker } from 'bullmq';
import Fastify from 'fastify';
import { Pool } from 'undici';

const [role = 'api', portArg = '0', queueName = 'webhooks', destinationArg = 'http://127.0.0.1:1/hook'] = process.argv.slice(2);
const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };

interface WebhookJob {
  sourceId: string;
  contentType: string;
  body: string;
}

async function api(): Promise<void> {
  const queue = new Queue<WebhookJob>(queueName, {
    connection,
    defaultJobOptions: {
      attempts: 11,
      backoff: { type: 'exponential', delay: 30_000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10_000 },
    },
  });
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_request, body, done) => done(null, body));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.post<{ Params: { id: string } }>('/e/:id', async (request) => {
    const job = await queue.add('webhook', {
      sourceId: request.params.id,
      contentType: request.headers['content-type'] ?? 'application/octet-stream',
      body: request.body as string,
    });
    return { status: 'SUCCESS', job_id: job.id };
  });
  await app.listen({ port: Number(portArg), host: '127.0.0.1' });
  process.send?.({ type: 'ready', port: Number(portArg) });
  process.on('SIGTERM', () => {
    void (async () => {
      await app.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      process.exit(0);
    })();
  });
}

async function worker(): Promise<void> {
  const destination = new URL(destinationArg);
  const pool = new Pool(destination.origin, { connections: 64, keepAliveTimeout: 60_000 });
  const w = new Worker<WebhookJob>(
    queueName,
    async (job) => {
      const res = await pool.request({
        path: destination.pathname,
        method: 'POST',
        headers: { 'content-type': job.data.contentType, 'x-job-id': job.id ?? '' },
        body: job.data.body,
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`destination answered ${res.statusCode}`);
    },
    { connection, concurrency: 50 },
  );
  await w.waitUntilReady();
  process.send?.({ type: 'ready', port: 0 });
  process.on('SIGTERM', () => {
    void w.close().then(() => pool.close()).then(() => process.exit(0));
  });
}

(role === 'worker' ? worker() : api()).catch((error: unknown) => {
  process.stderr.write(`bullmqBaseline (${role}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
