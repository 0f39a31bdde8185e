import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '../../src/domain/errors.js';
import { parseStatusPatterns, shouldRetryStatus } from '../../src/domain/retryStatusCodes.js';

function retries(patterns: string[], status: number): boolean {
  return shouldRetryStatus(parseStatusPatterns(patterns), status);
}

describe('parseStatusPatterns', () => {
  it('parses every accepted form into inclusive ranges', () => {
    const parsed = parseStatusPatterns(['500', '500-599', '>400', '>=400', '<300', '<=299', '!401', '!400-403', ' 502 ']);
    assert.deepEqual(
      parsed.map(({ min, max, negated }) => [min, max, negated]),
      [
        [500, 500, false],
        [500, 599, false],
        [401, 599, false],
        [400, 599, false],
        [100, 299, false],
        [100, 299, false],
        [401, 401, true],
        [400, 403, true],
        [502, 502, false],
      ],
    );
  });

  for (const bad of ['', 'abc', '5xx', '99', '600', '1000', '>599', '<100', '599-500', '!', '>=', '500-', '-500', '50.0', '>>400', '500,501']) {
    it(`rejects ${JSON.stringify(bad)} with VALIDATION_ERROR naming it and the accepted forms`, () => {
      assert.throws(
        () => parseStatusPatterns(['500', bad]),
        (error: unknown) =>
          error instanceof SluiceError &&
          error.code === 'VALIDATION_ERROR' &&
          error.message.includes(`"${bad}"`) &&
          error.message.includes('500-599') &&
          error.message.includes('!401'),
      );
    });
  }
});

describe('shouldRetryStatus', () => {
  it('retries every non-2xx when there are no patterns', () => {
    for (const status of [301, 400, 404, 429, 500, 503]) assert.equal(retries([], status), true, String(status));
    for (const status of [200, 201, 204, 299]) assert.equal(retries([], status), false, String(status));
  });

  it('with positive patterns, retries only what they match', () => {
    assert.equal(retries(['500-599'], 503), true);
    assert.equal(retries(['500-599'], 404), false);
    assert.equal(retries(['500-599', '429'], 429), true);
    assert.equal(retries(['>400'], 400), false);
    assert.equal(retries(['>=400'], 400), true);
    assert.equal(retries(['<=399'], 302), true);
  });

  it('negations always exclude, in any order, with or without positives', () => {
    assert.equal(retries(['!401', '>400'], 401), false);
    assert.equal(retries(['>400', '!401'], 402), true);
    assert.equal(retries(['!404'], 404), false);
    assert.equal(retries(['!404'], 500), true, 'only negatives: everything else non-2xx retries');
    assert.equal(retries(['!400-499'], 418), false);
  });

  it('never retries a 2xx, even when a pattern names it', () => {
    assert.equal(retries(['200-299'], 200), false);
  });
});
