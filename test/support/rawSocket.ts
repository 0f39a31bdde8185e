/**
 * A raw TCP client for what no HTTP client will send: oversized header blocks, bodies that trickle in, broken
 * chunked encoding. Writes the given pieces (with pauses between them), and collects everything the server sends
 * until it closes the connection or `timeoutMs` passes.
 */
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent. */
  response: string;
  /** The status code of the first response line, or 0 when none came. */
  status: number;
  /** The JSON body of the answer, when it had one. */
  json: unknown;
  /** Whether the server closed the connection (as opposed to our timeout). */
  closedByServer: boolean;
  /** When the first byte of the answer arrived, in ms after connecting (null when none came). */
  answeredAfterMs: number | null;
}

export type Piece = string | Buffer | { pauseMs: number };

export function rawExchange(base: string, pieces: Piece[], timeoutMs = 5000): Promise<RawExchange> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: hostname, port: Number(port) });
    const received: Buffer[] = [];
    let answeredAfterMs: number | null = null;
    let closedByServer = false;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const response = Buffer.concat(received).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
      const bodyStart = response.indexOf('\r\n\r\n');
      let json: unknown = undefined;
      try {
        json = bodyStart === -1 ? undefined : JSON.parse(response.slice(bodyStart + 4));
      } catch {
        json = undefined;
      }
      resolve({ response, status, json, closedByServer, answeredAfterMs });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      answeredAfterMs ??= Date.now() - started;
      received.push(chunk);
    });
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
    // Writing after the server closed is expected in these tests (it cut us off); the answer is what counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      if (!settled) reject(error);
    });
    socket.on('connect', () => {
      void (async () => {
        for (const piece of pieces) {
          if (socket.destroyed) return;
          if (typeof piece === 'object' && 'pauseMs' in piece) await new Promise((r) => setTimeout(r, piece.pauseMs));
          else socket.write(piece);
        }
      })();
    });
  });
}
