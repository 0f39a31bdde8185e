/**
 * JSON bodies for the management APIs (inbound and /v2): an empty body is no body (many clients send
 * Content-Type: application/json on a body-less PUT/POST such as /disable or /retry), anything else must parse.
 * Other content types get 415.
 */
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../domain/errors.js';

export function jsonBodiesOnly(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new SluiceError('UNPARSABLE_JSON', 'The request body is not valid JSON. Send a JSON object with Content-Type: application/json.'), undefined);
    }
  });
}
