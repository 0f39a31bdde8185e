/**
 * Id generation. An id is `<prefix>_` followed by 9 base-36 characters of the creation time in milliseconds and 7
 * random base-36 characters. Ids therefore sort (as plain byte strings) in creation order, which lets list
 * cursors be ids (as in seed 003: `after`/`before` are ids) and lets the store page by id alone.
 */
import { randomBytes } from 'node:crypto';
import { ID_PREFIX, type IdKind } from './glossary.js';

const TIME_CHARS = 9; // base-36 of ms since epoch fits 9 chars until the year 5188
const RANDOM_CHARS = 7;
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * Random bytes are drawn from the OS in blocks and handed out from a pool: one `randomBytes` call per id cost a
 * tenth of ingest's CPU (a request makes two or more ids). Bytes >= 252 (= 7 × 36) are skipped so every
 * character is equally likely.
 */
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function nextByte(): number {
  if (offset === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  return pool[offset++] as number;
}

function randomChars(count: number): string {
  let out = '';
  while (out.length < count) {
    const byte = nextByte();
    if (byte < 252) out += ALPHABET[byte % 36];
  }
  return out;
}

export function encodeTime(ms: number): string {
  return Math.floor(ms).toString(36).padStart(TIME_CHARS, '0');
}

/** A new id of the given kind, created at `now` (ms since epoch). */
export function newId(kind: IdKind, now: number = Date.now()): string {
  return `${ID_PREFIX[kind]}_${encodeTime(now)}${randomChars(RANDOM_CHARS)}`;
}

/** The smallest id of this kind that could have been created at `ms`: for turning time bounds into id bounds. */
export function idFloorAt(kind: IdKind, ms: number): string {
  return `${ID_PREFIX[kind]}_${encodeTime(ms)}${'0'.repeat(RANDOM_CHARS)}`;
}

const ID_PATTERN = /^([a-z]+)_([0-9a-z]{16})$/;

/** True when `value` is a well-formed id of `kind`. Used to answer 404 early without a query. */
export function isIdOf(kind: IdKind, value: string): boolean {
  const match = ID_PATTERN.exec(value);
  return match !== null && match[1] === ID_PREFIX[kind];
}
