/**
 * Request bodies of many kinds for fault tests: JSON (compact and pretty, so byte identity is not JSON
 * equality), text in several scripts, form data, XML, multipart, random binary (never valid UTF-8), an empty body,
 * and an odd Content-Type, each with the sha256 it must be stored with.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { sha256 } from './storedRequests.js';

export interface TestBody {
  contentType: string | undefined;
  bytes: Buffer;
  sha256: string;
}

const KINDS: (() => { contentType: string | undefined; bytes: Buffer })[] = [
  () => ({ contentType: 'application/json', bytes: Buffer.from(JSON.stringify({ id: randomBytes(6).toString('hex'), n: randomInt(1e9), pad: 'x'.repeat(randomInt(2000)) })) }),
  () => ({ contentType: 'application/json; charset=utf-8', bytes: Buffer.from(JSON.stringify({ nested: { list: [1, 2.5, null, true], s: 'é ü 漢字 🚀' } }, null, 3)) }),
  () => ({ contentType: 'text/plain; charset=utf-8', bytes: Buffer.from(`line one\r\nπ ≈ 3.14159 — ${randomBytes(16).toString('base64')}\n\0 nul inside`) }),
  () => ({ contentType: 'application/x-www-form-urlencoded', bytes: Buffer.from(`a=1&b=${encodeURIComponent('x y&z')}&c=%FF%FE`) }),
  () => ({ contentType: 'application/xml', bytes: Buffer.from(`<?xml version="1.0"?><order id="${randomInt(1e6)}"><item>ü</item></order>`) }),
  () => {
    const boundary = `b${randomBytes(8).toString('hex')}`;
    const part = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\n`), randomBytes(512), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    return { contentType: `multipart/form-data; boundary=${boundary}`, bytes: part };
  },
  () => {
    // Random bytes that are certainly not UTF-8 (a lone continuation byte first).
    const bytes = randomBytes(1 + randomInt(32_768));
    bytes[0] = 0x80;
    return { contentType: 'application/octet-stream', bytes };
  },
  () => ({ contentType: 'image/png', bytes: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4096)]) }),
  () => ({ contentType: undefined, bytes: Buffer.alloc(0) }),
  () => ({ contentType: 'this is not/a valid;; type', bytes: randomBytes(300) }),
];

/** Body number `n` (the kinds rotate, so every kind appears in any run of ten). */
export function mixedBody(n: number): TestBody {
  const kind = KINDS[n % KINDS.length];
  if (kind === undefined) throw new Error('no kinds');
  const { contentType, bytes } = kind();
  return { contentType, bytes, sha256: sha256(bytes) };
}

/** A body of `size` random bytes, sent as application/octet-stream. */
export function binaryBody(size: number): TestBody {
  const bytes = randomBytes(size);
  return { contentType: 'application/octet-stream', bytes, sha256: sha256(bytes) };
}
