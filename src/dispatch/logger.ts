/**
 * The little the dispatcher needs of a logger (pino's shape: fields first, then the message), so tests can pass
 * a silent or capturing one. Never give it secrets or bodies.
 */
export interface DispatchLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: DispatchLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
