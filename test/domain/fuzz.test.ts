/**
 * Property-based fuzzing (fast-check) of the pure parsers and matchers that take user input: retry-rule status
 * codes, pagination cursors and time ranges, Standard Webhooks secrets and signatures, event type patterns, key
 * templates, Retry-After, ids and the connection filter syntax. For any input: no crash other than the typed error
 * of that parser, no hang (each call is timed, and runs are bounded), and round trips hold where there is one.
 * Seeded, so a failure replays.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { createdRange, seedPageQuery, managementPageQuery } from '../../src/api/pagination.js';
import { parseRetryAfter } from '../../src/destinations/http/sender.js';
import { SluiceError } from '../../src/domain/errors.js';
import { MAX_RETRY_DELAY_MS } from '../../src/domain/backoff.js';
import { ID_PREFIX, type IdKind } from '../../src/domain/glossary.js';
import { encodeTime, idFloorAt, isIdOf, newId } from '../../src/domain/ids.js';
import { FILTER_OPERATORS, matchFilter, validateFilter, type Filter } from '../../src/domain/filterMatch.js';
import { parseKeyTemplate, renderKeyTemplate, TemplateError } from '../../src/domain/keyTemplate.js';
import { parseStatusPatterns, shouldRetryStatus } from '../../src/domain/retryStatusCodes.js';
import { signWebhook, webhookSecretKey, webhookSignatureHeader } from '../../src/domain/standardWebhooks.js';
import { isEventType, matchesSubscription, parseSubscription } from '../../src/domain/subscription.js';

const RUNS = { numRuns: 400, seed: 20_240_501 };
/** Longest one call may take: far above any linear parser on these inputs, far below a catastrophic backtrack. */
const HANG_MS = 250;

function timed<T>(fn: () => T): T {
  const start = performance.now();
  try {
    return fn();
  } finally {
    const took = performance.now() - start;
    assert.ok(took < HANG_MS, `took ${took.toFixed(1)} ms`);
  }
}

/** Runs fn; it returns, or throws a SluiceError with one of `codes`. */
function returnsOrThrowsSluice<T>(fn: () => T, codes: string[] = ['VALIDATION_ERROR']): T | SluiceError {
  try {
    return timed(fn);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.ok(error instanceof SluiceError, `a SluiceError, got ${String(error)}`);
    assert.ok(codes.includes(error.code), error.code);
    assert.ok(error.message.length > 20 && error.message.length < 1000, 'a message that says what to do, of bounded length');
    return error;
  }
}

/** Text that looks like the parser's syntax more often than random text would. */
const statusish = fc.oneof(
  fc.string(),
  fc.stringMatching(/^!?[<>]?=?\d{1,4}(-\d{1,4})?$/),
  fc.constantFrom('500-599', '>400', '!401', '>=500', '<=499', '404', '!', '', ' 5xx', '600', '099', '500-400', '>599'),
);

test('retry-rule status codes: any patterns parse or fail with VALIDATION_ERROR; parsed ones answer every status', () => {
  fc.assert(
    fc.property(fc.array(statusish, { maxLength: 8 }), fc.integer({ min: 100, max: 599 }), (patterns, status) => {
      const parsed = returnsOrThrowsSluice(() => parseStatusPatterns(patterns));
      if (parsed instanceof SluiceError) return;
      assert.equal(typeof timed(() => shouldRetryStatus(parsed, status)), 'boolean');
    }),
    RUNS,
  );
});

test('retry-rule status codes: a range retries exactly its statuses (never a 2xx), and "!" excludes one', () => {
  fc.assert(
    fc.property(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 100, max: 599 }), fc.integer({ min: 100, max: 599 }), (x, y, status) => {
      const [low, high] = x <= y ? [x, y] : [y, x];
      const range = parseStatusPatterns([`${low}-${high}`]);
      const success = status >= 200 && status <= 299;
      assert.equal(shouldRetryStatus(range, status), !success && status >= low && status <= high);
      assert.equal(shouldRetryStatus(parseStatusPatterns([`${low}-${high}`, `!${status}`]), status), false);
      assert.equal(shouldRetryStatus(parseStatusPatterns([String(status)]), status), !success);
    }),
    RUNS,
  );
});

const kinds = Object.keys(ID_PREFIX) as IdKind[];
const idish = fc.oneof(
  fc.string(),
  fc.tuple(fc.constantFrom(...kinds), fc.string({ unit: fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyz_'), maxLength: 20 })).map(
    ([kind, tail]) => `${ID_PREFIX[kind]}_${tail}`,
  ),
);
const timeish = fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.stringMatching(/^\d{4}-\d{2}-\d{2}.{0,12}$/));

test('pagination: any cursor is a valid id of the listed kind or a VALIDATION_ERROR; any time range parses or fails typed', () => {
  fc.assert(
    fc.property(fc.constantFrom(...kinds), idish, idish, fc.boolean(), (kind, after, before, both) => {
      const seed = returnsOrThrowsSluice(() => seedPageQuery(kind, both ? { after, before } : { after }));
      if (!(seed instanceof SluiceError) && after !== '') {
        assert.equal(seed.after, after);
        assert.ok(isIdOf(kind, after));
      }
      returnsOrThrowsSluice(() => managementPageQuery(kind, both ? { next: after, prev: before } : { prev: before }));
    }),
    RUNS,
  );
  fc.assert(
    fc.property(timeish, timeish, timeish, (gte, lt, before) => {
      const range = returnsOrThrowsSluice(() => createdRange({ 'created_at[gte]': gte, 'created_at[lt]': lt, created_before: before }));
      if (range instanceof SluiceError) return;
      assert.ok(Number.isFinite(range.createdAfter) && Number.isFinite(range.createdBefore));
    }),
    RUNS,
  );
});

test('ids: every id made is a cursor of its kind only, ordered by time', () => {
  fc.assert(
    fc.property(fc.constantFrom(...kinds), fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: 0, max: 4_102_444_800_000 }), (kind, t1, t2) => {
      const id = newId(kind, t1);
      assert.ok(isIdOf(kind, id));
      assert.ok(kinds.filter((other) => ID_PREFIX[other] !== ID_PREFIX[kind]).every((other) => !isIdOf(other, id)));
      assert.equal(seedPageQuery(kind, { after: id }).after, id);
      assert.ok(idFloorAt(kind, t1) <= id, 'the floor of its time sorts first');
      if (t1 < t2) assert.ok(encodeTime(t1) < encodeTime(t2) && id < idFloorAt(kind, t2), 'ids sort by creation time');
    }),
    RUNS,
  );
  fc.assert(fc.property(fc.constantFrom(...kinds), fc.string(), (kind, text) => void timed(() => isIdOf(kind, text))), RUNS);
});

const secretBytes = fc.uint8Array({ minLength: 24, maxLength: 64 }).map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`);

test('Standard Webhooks: any text is a secret or not (never a throw); every signature verifies with the standardwebhooks package', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string().map((s) => `whsec_${s}`), secretBytes), (text) => {
      const key = timed(() => webhookSecretKey(text));
      if (key !== null) assert.ok(key.length >= 24 && key.length <= 64);
    }),
    RUNS,
  );
  fc.assert(
    fc.property(
      fc.array(secretBytes, { minLength: 1, maxLength: 3 }),
      fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/),
      fc.json({ maxDepth: 3 }), // the standardwebhooks package parses the payload as JSON after verifying it
      (secrets, id, body) => {
        const timestamp = Math.floor(Date.now() / 1000);
        const header = timed(() => webhookSignatureHeader(secrets, id, timestamp, body));
        assert.equal(header.split(' ').length, secrets.length, 'one signature per secret, space-separated');
        const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': header };
        for (const secret of secrets) {
          assert.doesNotThrow(() => new Webhook(secret).verify(body, headers), 'each secret verifies the header');
          assert.ok(header.includes(signWebhook(secret, id, timestamp, body)));
        }
        const tampered = `${body}x`;
        assert.throws(() => new Webhook(secrets[0] ?? '').verify(tampered, headers));
      },
    ),
    { ...RUNS, numRuns: 150 },
  );
});

const segment = fc.stringMatching(/^[a-z0-9_]{1,12}$/);
const eventType = fc.array(segment, { minLength: 2, maxLength: 5 }).map((parts) => parts.join('.'));

test('event type patterns: any input parses to patterns or fails with VALIDATION_ERROR; matching never throws', () => {
  fc.assert(
    fc.property(fc.oneof(fc.anything(), fc.array(fc.oneof(fc.string(), eventType, eventType.map((t) => `${t}.*`), fc.constant('*')), { maxLength: 6 })), fc.string(), (input, type) => {
      const parsed = returnsOrThrowsSluice(() => parseSubscription(input));
      if (parsed instanceof SluiceError) return;
      assert.equal(typeof timed(() => matchesSubscription(parsed, type)), 'boolean');
    }),
    RUNS,
  );
});

test('event type patterns: "*", the type itself and each of its prefixes match it; other prefixes do not', () => {
  fc.assert(
    fc.property(eventType, eventType, (type, other) => {
      assert.ok(isEventType(type));
      const parts = type.split('.');
      assert.ok(matchesSubscription(parseSubscription(['*']), type));
      assert.ok(matchesSubscription(parseSubscription([type]), type));
      for (let i = 1; i < parts.length; i += 1) assert.ok(matchesSubscription(parseSubscription([`${parts.slice(0, i).join('.')}.*`]), type));
      if (!type.startsWith(`${other}.`) && type !== other) assert.equal(matchesSubscription(parseSubscription([`${other}.*`]), type), false);
    }),
    RUNS,
  );
});

const templateish = fc.oneof(
  fc.string(),
  fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('{event_id}', '{event_type}', '{date}', '{year}', '{data.a}', '{data.a.b}', '{', '}', '{data.}', '{nope}')), { maxLength: 8 }).map((parts) => parts.join('')),
);

test('key templates: any source parses or fails with TemplateError; rendering gives text or TemplateError', () => {
  fc.assert(
    fc.property(templateish, fc.anything(), (source, data) => {
      let template;
      try {
        template = timed(() => parseKeyTemplate(source));
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(error instanceof TemplateError, String(error));
        return;
      }
      try {
        assert.equal(typeof timed(() => renderKeyTemplate(template, { eventId: 'evt_1', eventType: 'a.b', createdAt: 0, data })), 'string');
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(error instanceof TemplateError, String(error));
      }
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.stringMatching(/^[^{}]{1,40}$/), (literal) => {
      assert.equal(renderKeyTemplate(parseKeyTemplate(literal), { eventId: 'evt_1', eventType: 'a.b', createdAt: 0 }), literal);
    }),
    RUNS,
  );
});

test('Retry-After: any header is a wait from 0 to a day or none (fuzzing found "999…9" → Infinity); seconds and HTTP dates round trip', () => {
  const now = Date.UTC(2024, 4, 1);
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.integer({ min: 1, max: 400 }).map((n) => '9'.repeat(n)), fc.date({ noInvalidDate: true }).map((d) => d.toUTCString())),
      (header) => {
        const wait = timed(() => parseRetryAfter(header, now));
        if (wait !== undefined) assert.ok(Number.isFinite(wait) && wait >= 0 && wait <= MAX_RETRY_DELAY_MS, `${header} → ${wait}`);
      },
    ),
    RUNS,
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 86_400 }), fc.integer({ min: 0, max: 86_400 }), (seconds, ahead) => {
      assert.equal(parseRetryAfter(String(seconds), now), seconds * 1000);
      assert.equal(parseRetryAfter(new Date(now + ahead * 1000).toUTCString(), now), ahead * 1000);
    }),
    RUNS,
  );
});

/** JSON shaped like filters: operator keys (known and unknown), fields, arrays, any operand, nested. */
const filterish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null)),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FILTER_OPERATORS, '$regex', '$', 'a', 'b', 'tags'), fc.string({ maxLength: 4 })), tie('node'), { maxKeys: 4 }),
  ),
})).node;

/** Request-like values: objects with the fields filters name, arrays of them, text. */
const requestish: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 5 }),
  fc.dictionary(fc.constantFrom('a', 'b', 'tags', 'x'), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 4 }),
  fc.string(),
  fc.constant(undefined),
);

function validFilter(input: unknown): Filter | null {
  const outcome = returnsOrThrowsSluice(() => validateFilter(input, 'rules[0].body'), ['INVALID_FILTER']);
  if (outcome instanceof SluiceError) {
    const field = (outcome.data as { field: string }[])[0]?.field ?? '';
    assert.ok(field.startsWith('rules[0].body'), `the error names a path inside the filter: ${field}`);
    return null;
  }
  return outcome;
}

test('filter syntax: any JSON validates or fails with INVALID_FILTER naming a path; a valid filter matches any value without throwing', () => {
  let valid = 0;
  fc.assert(
    fc.property(filterish, requestish, (input, value) => {
      const filter = validFilter(input);
      if (filter === null) return;
      valid += 1;
      const result = timed(() => matchFilter(filter, value));
      assert.equal(typeof result.matched, 'boolean');
      if (result.exhausted) assert.equal(result.matched, false);
    }),
    { ...RUNS, numRuns: 2000 },
  );
  assert.ok(valid > 200, `the generator makes valid filters often enough (${valid})`);
  fc.assert(
    fc.property(fc.anything(), fc.anything(), (input, value) => {
      const filter = validFilter(input);
      if (filter !== null) timed(() => matchFilter(filter, value));
    }),
    RUNS,
  );
});

test('filter syntax: $not, $and and $or are negation, conjunction and disjunction of any filters', () => {
  fc.assert(
    fc.property(filterish, filterish, requestish, (a, b, value) => {
      const f = validFilter(a);
      const g = validFilter(b);
      if (f === null || g === null) return;
      const m = (filter: Filter) => matchFilter(filter, value);
      const [rf, rg] = [m(f), m(g)];
      if (rf.exhausted || rg.exhausted) return;
      assert.equal(m({ $not: f }).matched, !rf.matched);
      assert.equal(m({ $and: [f, g] }).matched, rf.matched && rg.matched);
      assert.equal(m({ $or: [f, g] }).matched, rf.matched || rg.matched);
    }),
    RUNS,
  );
});

test('filter syntax: every JSON value matches itself as a filter when it has no "$" keys', () => {
  const plain = fc.jsonValue({ maxDepth: 4 }).filter((value) => !JSON.stringify(value).includes('"$'));
  fc.assert(
    fc.property(plain, (value) => {
      const filter = validFilter(value);
      if (filter === null) return; // over a bound (a long string): refused, typed
      assert.equal(matchFilter(filter, value).matched, true);
    }),
    RUNS,
  );
});

test('filter syntax: hostile shapes terminate within the bounds (deep filters refused; deep and huge requests cut short)', () => {
  let deepFilter: unknown = { $eq: 1 };
  for (let i = 0; i < 50_000; i++) deepFilter = { $not: deepFilter };
  assert.equal(validFilter(deepFilter), null);
  let deepValue: unknown = 1;
  for (let i = 0; i < 50_000; i++) deepValue = [deepValue];
  const nested: Filter = { $or: [[[[[[1]]]]], { a: { b: { c: 1 } } }, { $eq: [[[[1]]]] }] };
  assert.equal(timed(() => matchFilter(nested, deepValue)).matched, false);
  const wide = Array.from({ length: 1_000_000 }, (_, i) => i);
  const many: Filter = { $and: Array.from({ length: 100 }, () => ({ $in: [-1, -2, -3, -4, -5] })) };
  const result = timed(() => matchFilter(many, wide));
  assert.deepEqual(result, { matched: false, exhausted: true });
});
