/**
 * The SSRF guard for outbound types that do not speak plain HTTP through the shared sender (AMQP, AWS SDK,
 * gRPC…): the same address rules and allowlist (http/addressGuard.ts), applied in the way each client allows —
 * a `lookup` for sockets the client opens through Node's net/tls, and a check of a literal IP (which Node never
 * passes to `lookup`) or of a host's resolved addresses before a client is created.
 */
import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { BlockedAddressError, createAddressGuard } from '../http/addressGuard.js';

export interface HostGuard {
  /** A dns.lookup replacement that refuses blocked addresses (for net/tls `lookup` options). */
  lookup: LookupFunction;
  /** Throws BlockedAddressError when `host` is a literal IP that is blocked. */
  checkLiteral(host: string): void;
  /** Resolves `host` and throws BlockedAddressError when any address it resolves to is blocked. */
  checkResolved(host: string): Promise<void>;
}

export function createHostGuard(allowlist: readonly string[]): HostGuard {
  const guard = createAddressGuard(allowlist);
  const checkLiteral = (raw: string): void => {
    const host = raw.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && guard.isBlocked(host)) throw new BlockedAddressError(host, host);
  };
  return {
    lookup: guard.lookup,
    checkLiteral,
    async checkResolved(raw) {
      checkLiteral(raw);
      const host = raw.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0) return;
      await new Promise<void>((resolve, reject) => {
        guard.lookup(host, { all: true }, (error: Error | null, _addresses: string | LookupAddress[]) => (error ? reject(error) : resolve()));
      });
    },
  };
}
