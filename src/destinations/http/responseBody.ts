/**
 * Reads a destination's response body for the attempt record without ever holding more than the cap: the first
 * `limit` bytes are kept, the rest is read and dropped so the keep-alive connection can be reused. A body that
 * goes on past DISCARD_LIMIT is cut off instead (the connection is closed: cheaper than draining a firehose).
 */

/** Bytes read and dropped after the cap before giving up on the connection. */
export const DISCARD_LIMIT = 1024 * 1024;

export interface CappedBody {
  kept: Buffer;
  /** Bytes seen in all (kept + dropped). */
  total: number;
  /** False when reading stopped early (cut off, or the stream failed). */
  complete: boolean;
}

export async function readCapped(stream: AsyncIterable<Uint8Array> & { destroy(): unknown }, limit: number): Promise<CappedBody> {
  const parts: Buffer[] = [];
  let kept = 0;
  let total = 0;
  try {
    for await (const chunk of stream) {
      total += chunk.byteLength;
      if (kept < limit) {
        const take = Math.min(limit - kept, chunk.byteLength);
        parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, take));
        kept += take;
      }
      if (total - kept > DISCARD_LIMIT) {
        stream.destroy();
        return { kept: Buffer.concat(parts), total, complete: false };
      }
    }
    return { kept: Buffer.concat(parts), total, complete: true };
  } catch {
    // A body that breaks off after the status arrived still has its status; keep what came.
    return { kept: Buffer.concat(parts), total, complete: false };
  }
}

const TEXTUAL = /^(text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|javascript|x-www-form-urlencoded|graphql|yaml)\b)/i;

const BINARY = /^(image|audio|video|font)\/|octet-stream|zip|pdf|protobuf/i;

/** Valid UTF-8 without NUL bytes, allowing a sequence cut in half at the cap. */
function looksLikeText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * How the attempt shows the body: the kept bytes as UTF-8 text when the body is text, else a note such as
 * `[binary body: 2048 bytes, image/png]` (binary bytes as text would be mojibake, and base64 would hide that
 * it was binary).
 */
export function bodyForRecord(body: CappedBody, contentType: string | undefined): string {
  const type = contentType?.trim() ?? '';
  const declaredText = TEXTUAL.test(type);
  const declaredBinary = BINARY.test(type);
  if (declaredText || (!declaredBinary && looksLikeText(body.kept))) {
    // stream: true holds back a multi-byte character cut in half by the cap instead of printing U+FFFD.
    return new TextDecoder('utf-8').decode(body.kept, { stream: true });
  }
  const size = body.complete ? `${body.total} bytes` : `at least ${body.total} bytes`;
  return `[binary body: ${size}${type === '' ? '' : `, ${type.split(';')[0]?.trim()}`}]`;
}
