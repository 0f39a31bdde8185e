/**
 * An inbound HTTP request as Sluice stores it: method, the path after `/e/:id`, the raw query string, every header
 * (names lower-cased, repeats joined with ", " — from the raw header list, because Node drops repeats of some
 * headers), the body bytes as received, and whether the body is JSON.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

/** Headers as received: lower-cased names; a repeated header's values joined with ", " in arrival order. */
export function headersOf(raw: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const list = raw.rawHeaders;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = (list[i] ?? '').toLowerCase();
    const value = list[i + 1] ?? '';
    // Object.hasOwn, not `in`: a header named "constructor" or "__proto__" must not meet Object.prototype.
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

/** `/e/src_x/orders/1?a=1` → path `/orders/1`, query `a=1`. The path stays percent-encoded, as it will be forwarded. */
export function pathAndQuery(url: string, id: string): { path: string; query: string } {
  const mark = url.indexOf('?');
  const pathname = mark === -1 ? url : url.slice(0, mark);
  const query = mark === -1 ? '' : url.slice(mark + 1);
  const prefix = `/e/${id}`;
  const path = pathname.startsWith(prefix) ? pathname.slice(prefix.length) : '';
  return { path, query };
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b|^text\/json\b/i;

/**
 * The body parsed, when it is JSON: parsed when the content type says JSON or the body starts like a JSON document
 * (senders often omit or mislabel the type). A body that does not parse is simply not JSON (null); it is kept as
 * bytes. Parsed once per request: connection filters match on this value.
 */
export function parseJsonBody(body: Buffer, contentType: string | undefined): { json: unknown } | null {
  if (body.length === 0) return null;
  let first = 0;
  while (first < body.length && (body[first] === 0x20 || body[first] === 0x0a || body[first] === 0x0d || body[first] === 0x09)) first++;
  const looksJson = body[first] === 0x7b || body[first] === 0x5b; // { or [
  if (!looksJson && !(contentType !== undefined && JSON_TYPE.test(contentType))) return null;
  // Invalid UTF-8 would parse with replacement characters: the API would then show a body that was never sent.
  if (!isUtf8(body)) return null;
  try {
    return { json: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return null;
  }
}
