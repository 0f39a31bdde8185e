/**
 * Requests refused by Node's HTTP parser before any route runs: headers larger than SLUICE_MAX_HEADER_BYTES (431
 * HEADERS_TOO_LARGE), a request whose headers and body did not all arrive within SLUICE_REQUEST_TIMEOUT_MS (408
 * REQUEST_TIMEOUT: slow uploads, slowloris), and malformed HTTP (400 BAD_REQUEST). They get the inbound error shape
 * with a stable code, written straight to the socket, which is then closed: nothing of such a request is stored.
 *
 * The server options below make Node enforce both limits itself; its periodic check of the request deadline runs
 * over all connections at once (no timer per request), every tenth of the deadline, at most once a second.
 */
import { STATUS_CODES, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/loadConfig.js';
import { SluiceError } from '../domain/errors.js';
import { errorBody } from './errorHandler.js';

export function httpServerOptions(config: Config): ServerOptions {
  return {
    maxHeaderSize: config.maxHeaderBytes,
    requestTimeout: config.requestTimeoutMs,
    // Node refuses a headers deadline longer than the request deadline.
    headersTimeout: Math.min(60_000, config.requestTimeoutMs),
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(config.requestTimeoutMs / 10))),
  };
}

export function clientErrorOf(code: string | undefined, config: Config): SluiceError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new SluiceError(
        'HEADERS_TOO_LARGE',
        `The request line and headers are larger than the ${config.maxHeaderBytes} bytes this gateway accepts (SLUICE_MAX_HEADER_BYTES); nothing was stored. Send fewer or smaller headers.`,
        { limit_bytes: config.maxHeaderBytes },
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new SluiceError(
        'REQUEST_TIMEOUT',
        `The request did not arrive completely within ${config.requestTimeoutMs} ms (SLUICE_REQUEST_TIMEOUT_MS); nothing was stored. Send the whole request without pausing.`,
        { limit_ms: config.requestTimeoutMs },
      );
    default:
      return new SluiceError('BAD_REQUEST', 'The request is not valid HTTP/1.1; nothing was stored. Check the request line, headers and chunked encoding.');
  }
}

/** Fastify's `clientErrorHandler`: answer in our shape when the socket can still take an answer, then close it. */
export function clientErrorHandler(config: Config) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // An answer already under way on this socket (its head sent) must not be corrupted by a second one.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && inFlight?.headersSent !== true) {
      const sluice = clientErrorOf(error.code, config);
      const body = JSON.stringify(errorBody(sluice));
      socket.write(
        `HTTP/1.1 ${sluice.status} ${STATUS_CODES[sluice.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
