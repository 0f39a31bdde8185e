/**
 * Source verification: does an inbound request carry proof that it comes from the source's sender? Pure (headers,
 * raw body bytes and the clock in; a verdict out). Every comparison of a secret or a signature is constant-time:
 * both sides are hashed to equal-length digests first, so neither their content nor their length leaks through
 * timing. The reason of a failure names what was wrong (missing header, stale timestamp, no match) and never the
 * value that would have matched.
 *
 * Formats (the providers' published ones):
 * - HMAC: `<header_key>: <encode(HMAC-<algorithm>(secret, body))>`, optionally prefixed `<algorithm>=`.
 * - STRIPE: `Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=…]`, within 300 s.
 * - GITHUB: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`.
 * - SHOPIFY: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(secret, body)>`.
 * - BASIC_AUTH: `Authorization: Basic base64(username:password)`.
 * - API_KEY: `<header_key>: <api_key>` (or `Authorization: Bearer <api_key>` when header_key is authorization).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HmacAlgorithm, HmacEncoding, SourceAuth } from './sourceAuth.js';

/** Stripe's default tolerance between the signed timestamp and the receiver's clock. */
export const STRIPE_TOLERANCE_SECONDS = 300;

export type Verdict = { ok: true } | { ok: false; reason: string };

export interface InboundProof {
  /** Lower-cased header names (repeats joined with ", "), as ingest stores them. */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  /** Milliseconds since the epoch. */
  now: number;
}

const OK: Verdict = { ok: true };
const fail = (reason: string): Verdict => ({ ok: false, reason });

function digest(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time equality of two strings of any lengths. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function hmac(algorithm: HmacAlgorithm, secret: string, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function encode(bytes: Buffer, encoding: HmacEncoding): string {
  return bytes.toString(encoding);
}

function header(proof: InboundProof, name: string): string | null {
  const value = proof.headers[name];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function verifyHmac(proof: InboundProof, auth: Extract<SourceAuth, { type: 'HMAC' }>): Verdict {
  const sent = header(proof, auth.header_key);
  if (sent === null) return fail(`the ${auth.header_key} header with the HMAC signature is missing`);
  const prefix = `${auth.algorithm}=`;
  let signature = sent.toLowerCase().startsWith(prefix) ? sent.slice(prefix.length) : sent;
  if (auth.encoding === 'hex') signature = signature.toLowerCase();
  if (auth.encoding === 'base64url') signature = signature.replace(/=+$/, '');
  const expected = encode(hmac(auth.algorithm, auth.secret, proof.body), auth.encoding);
  return safeEqual(signature, expected)
    ? OK
    : fail(`the ${auth.header_key} header is not the ${auth.encoding} HMAC-${auth.algorithm.toUpperCase()} of the body under the source's secret`);
}

/** `t=…,v1=…,v1=…,v0=…` → the timestamp and the v1 signatures (Stripe sends one per active secret). */
function parseStripeHeader(value: string): { timestamp: string | null; signatures: string[] } {
  let timestamp: string | null = null;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim();
    const item = part.slice(eq + 1).trim();
    if (key === 't') timestamp = item;
    else if (key === 'v1') signatures.push(item.toLowerCase());
  }
  return { timestamp, signatures };
}

function verifyStripe(proof: InboundProof, secret: string): Verdict {
  const sent = header(proof, 'stripe-signature');
  if (sent === null) return fail('the Stripe-Signature header is missing');
  const { timestamp, signatures } = parseStripeHeader(sent);
  if (timestamp === null || !/^\d{1,12}$/.test(timestamp)) return fail('the Stripe-Signature header has no valid timestamp (t=<unix seconds>)');
  if (signatures.length === 0) return fail('the Stripe-Signature header has no v1 signature');
  const skew = Math.abs(proof.now / 1000 - Number(timestamp));
  if (skew > STRIPE_TOLERANCE_SECONDS) {
    return fail(`the Stripe-Signature timestamp is ${Math.round(skew)} s away from now, beyond the ${STRIPE_TOLERANCE_SECONDS} s tolerance`);
  }
  const expected = hmac('sha256', secret, `${timestamp}.`, proof.body).toString('hex');
  // Every candidate is compared (no early exit), so the position of a match does not show in the timing either.
  let matched = false;
  for (const signature of signatures) matched = safeEqual(signature, expected) || matched;
  return matched ? OK : fail('no v1 signature in the Stripe-Signature header matches the timestamp and body under the source\'s secret');
}

function verifyGithub(proof: InboundProof, secret: string): Verdict {
  const sent = header(proof, 'x-hub-signature-256');
  if (sent === null) return fail('the X-Hub-Signature-256 header is missing');
  if (!sent.startsWith('sha256=')) return fail('the X-Hub-Signature-256 header must have the form sha256=<hex>');
  const expected = hmac('sha256', secret, proof.body).toString('hex');
  return safeEqual(sent.slice('sha256='.length).toLowerCase(), expected)
    ? OK
    : fail('the X-Hub-Signature-256 header does not match the body under the source\'s secret');
}

function verifyShopify(proof: InboundProof, secret: string): Verdict {
  const sent = header(proof, 'x-shopify-hmac-sha256');
  if (sent === null) return fail('the X-Shopify-Hmac-Sha256 header is missing');
  const expected = hmac('sha256', secret, proof.body).toString('base64');
  return safeEqual(sent, expected) ? OK : fail('the X-Shopify-Hmac-Sha256 header does not match the body under the source\'s secret');
}

function verifyBasic(proof: InboundProof, username: string, password: string): Verdict {
  const sent = header(proof, 'authorization');
  if (sent === null || !/^basic\s/i.test(sent)) return fail('the Authorization header with Basic credentials is missing');
  const decoded = Buffer.from(sent.slice(6).trim(), 'base64').toString('utf8');
  // One comparison of the whole pair: a wrong user name takes as long as a wrong password.
  return safeEqual(decoded, `${username}:${password}`) ? OK : fail('the Basic credentials are not the source\'s user name and password');
}

function verifyApiKey(proof: InboundProof, headerKey: string, apiKey: string): Verdict {
  const sent = header(proof, headerKey);
  if (sent === null) return fail(`the ${headerKey} header with the API key is missing`);
  const key = headerKey === 'authorization' && /^bearer\s/i.test(sent) ? sent.slice(7).trim() : sent;
  return safeEqual(key, apiKey) ? OK : fail(`the ${headerKey} header does not hold the source's API key`);
}

export function verifySourceRequest(auth: SourceAuth, proof: InboundProof): Verdict {
  switch (auth.type) {
    case 'HMAC':
      return verifyHmac(proof, auth);
    case 'STRIPE':
      return verifyStripe(proof, auth.secret);
    case 'GITHUB':
      return verifyGithub(proof, auth.secret);
    case 'SHOPIFY':
      return verifyShopify(proof, auth.secret);
    case 'BASIC_AUTH':
      return verifyBasic(proof, auth.username, auth.password);
    case 'API_KEY':
      return verifyApiKey(proof, auth.header_key, auth.api_key);
  }
}
