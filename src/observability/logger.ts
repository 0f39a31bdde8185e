/**
 * The process logger (pino, the same one Fastify uses, so API and engine lines share one stream and format).
 * Secrets and message bodies are never logged; the redaction list is a second line of defence.
 */
import { pino, type Logger } from 'pino';
import type { Config } from '../config/loadConfig.js';

export type { Logger };

/** JSON lines on stdout; `destination` sends them elsewhere (tests that read every line the gateway writes). */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: { write(line: string): void }): Logger {
  const options = {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.signing_secret', '*.key', '*.secret'],
      censor: '[redacted]',
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
