/**
 * A real TCP proxy between the gateway and a server (PostgreSQL), for tests that take the server away without
 * stopping it (other tests use it): `cut()` resets every proxied connection and refuses new ones, as a database
 * that went down does; `restore()` accepts them again on the same port. `cutReplyTo(sql)` cuts one connection at the
 * most ambiguous moment: the statement reaches the server, which runs it, and its answer never reaches the client.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections proxied so far. */
  readonly accepted: number;
  cut(): Promise<void>;
  /**
   * Arms a cut: the next simple-protocol query whose text is exactly `sql` (node-postgres sends `COMMIT` so) is
   * passed on to the server, the client's connection is reset at once, and the server's answer is dropped (its
   * side is closed once the answer came, so the statement completed). With `refuseAfter`, new connections are
   * refused from then on, until `restore()`. Resolves when the cut happened.
   */
  cutReplyTo(sql: string, options?: { refuseAfter?: boolean }): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      draining.delete(socket);
    });
  };
  /** Server sides left open until the server answered the statement a cut let through (never reset early). */
  const draining = new Set<Socket>();
  let armed: { message: Buffer; cut: () => void } | null = null;
  const onConnection = (client: Socket) => {
    accepted += 1;
    const upstream = connect(targetPort, targetHost);
    track(client);
    track(upstream);
    let replyDropped = false;
    client.on('error', () => {
      if (!replyDropped) upstream.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (armed === null || !chunk.includes(armed.message)) return;
      // The pipe below writes this chunk to the server in this same turn; the answer cannot be back before it.
      const { cut } = armed;
      armed = null;
      replyDropped = true;
      upstream.unpipe(client);
      draining.add(upstream);
      upstream.once('data', () => upstream.destroy());
      setTimeout(() => upstream.destroy(), 5000).unref();
      client.resetAndDestroy();
      cut();
    });
    client.pipe(upstream);
    upstream.pipe(client);
  };
  let server: Server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const { port } = address;
  let listening = true;

  const stopListening = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // resetAndDestroy: the gateway sees ECONNRESET, as when the server's host goes away.
    for (const socket of sockets) if (!draining.has(socket)) socket.resetAndDestroy();
    // Bounded: a connection the server still counts must not hold a test's clean-up.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  };

  return {
    port,
    get accepted() {
      return accepted;
    },
    cut: stopListening,
    cutReplyTo(sql, options = {}) {
      const text = Buffer.from(`${sql}\0`);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(4 + text.length);
      return new Promise<void>((resolve) => {
        armed = {
          message: Buffer.concat([Buffer.from('Q'), length, text]),
          cut: () => {
            if (options.refuseAfter === true) void stopListening().then(resolve);
            else resolve();
          },
        };
      });
    },
    async restore() {
      if (listening) return;
      server = createServer(onConnection);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      listening = true;
    },
    close: stopListening,
  };
}
