import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockedAddressError } from '../../src/destinations/http/addressGuard.js';
import { mapRequestError } from '../../src/destinations/http/errorCodes.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('mapRequestError', () => {
  it('maps Node and undici codes, looking through causes and Happy Eyeballs aggregates', () => {
    const cases: [unknown, string][] = [
      [coded('ECONNRESET'), 'CONNECTION_RESET'],
      [coded('ENOTFOUND'), 'DNS_LOOKUP_FAILED'],
      [coded('EHOSTUNREACH'), 'HOST_UNREACHABLE'],
      [coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'SELF_SIGNED_CERT'],
      [coded('CERT_HAS_EXPIRED'), 'SSL_CERT_EXPIRED'],
      [coded('HPE_INVALID_HEADER_TOKEN'), 'PROTOCOL_ERROR'],
      [coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'PROTOCOL_ERROR'],
      [coded('UND_ERR_HEADERS_TIMEOUT'), 'TIMEOUT'],
      [coded('UND_ERR_SOCKET'), 'SOCKET_CLOSED'],
      [Object.assign(new TypeError('fetch failed'), { cause: coded('ECONNREFUSED') }), 'CONNECTION_REFUSED'],
      [new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), 'CONNECTION_REFUSED'],
      [new Error('mystery'), 'UNKNOWN'],
      ['not even an error', 'UNKNOWN'],
    ];
    for (const [error, expected] of cases) assert.equal(mapRequestError(error, null).errorCode, expected, String(error));
  });

  it('keeps the low-level code in the message', () => {
    assert.match(mapRequestError(coded('ERR_TLS_CERT_ALTNAME_INVALID', 'Hostname/IP does not match'), null).message, /ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('decides TIMEOUT or CANCELLED by which signal fired, and lets the SSRF refusal win', () => {
    assert.equal(mapRequestError(new DOMException('aborted', 'AbortError'), 'timeout').errorCode, 'TIMEOUT');
    assert.equal(mapRequestError(new DOMException('aborted', 'AbortError'), 'cancelled').errorCode, 'CANCELLED');
    const blocked = mapRequestError(Object.assign(new Error('wrapped'), { cause: new BlockedAddressError('x.example', '10.0.0.1') }), 'timeout');
    assert.equal(blocked.errorCode, 'BLOCKED_ADDRESS');
    assert.match(blocked.message, /x\.example \(10\.0\.0\.1\).*SLUICE_OUTBOUND_ALLOWLIST/);
  });
});
