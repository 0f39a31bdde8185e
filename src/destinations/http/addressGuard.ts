/**
 * The SSRF guard of outbound HTTP: refuses to connect to loopback, private, link-local, CGNAT, cloud metadata,
 * multicast, reserved and unspecified addresses (IPv4, IPv6, and IPv4 embedded in IPv6) unless an address is
 * inside `SLUICE_OUTBOUND_ALLOWLIST`. It checks the addresses a connection will actually use, after DNS, so a
 * hostname that resolves (or re-resolves) to an internal address is caught; literal IPs are checked before
 * connecting because Node skips `lookup` for them.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** The error code the guard fails a connection with; the publisher maps it to BLOCKED_ADDRESS. */
export const BLOCKED_ADDRESS_CODE = 'ERR_SLUICE_BLOCKED_ADDRESS';

const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
];

const BLOCKED_V6: [string, number][] = [
  ['::', 96], // unspecified, loopback (::1) and the deprecated IPv4-compatible range
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

export class BlockedAddressError extends Error {
  readonly code = BLOCKED_ADDRESS_CODE;
  constructor(host: string, address: string) {
    super(
      `Refused to connect to ${host === address ? address : `${host} (${address})`}: private, loopback and link-local addresses are blocked. ` +
        'Add the address or its range to SLUICE_OUTBOUND_ALLOWLIST to allow it.',
    );
    this.name = 'BlockedAddressError';
  }
}

function hexPairToV4(high: string, low: string): string {
  const h = parseInt(high, 16);
  const l = parseInt(low, 16);
  return `${h >> 8}.${h & 0xff}.${l >> 8}.${l & 0xff}`;
}

/**
 * The IPv4 address an IPv6 address carries and would be routed to (IPv4-mapped `::ffff:a.b.c.d`, NAT64
 * `64:ff9b::a.b.c.d`), or null. The URL parser puts every spelling into one canonical form first.
 */
export function embeddedIPv4(address: string): string | null {
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const match = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  return match === null ? null : hexPairToV4(match[1] ?? '0', match[2] ?? '0');
}

export interface AddressGuard {
  /** True when connecting to this IP address is refused. */
  isBlocked(address: string): boolean;
  /** A `dns.lookup` replacement that fails with BlockedAddressError when any resolved address is blocked. */
  lookup: LookupFunction;
}

function toBlockList(ranges: [string, number][], family: 'ipv4' | 'ipv6', into: BlockList): void {
  for (const [address, prefix] of ranges) into.addSubnet(address, prefix, family);
}

export function createAddressGuard(allowlist: readonly string[]): AddressGuard {
  const blocked = new BlockList();
  toBlockList(BLOCKED_V4, 'ipv4', blocked);
  toBlockList(BLOCKED_V6, 'ipv6', blocked);
  const allowed = new BlockList();
  for (const cidr of allowlist) {
    const [address = '', prefix] = cidr.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    allowed.addSubnet(address, prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix), family);
  }

  const check = (list: BlockList, address: string): boolean => {
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };

  const isBlocked = (raw: string): boolean => {
    const address = raw.replace(/^\[|\]$/g, '');
    if (isIP(address) === 0) return true; // not an address at all: never connect to what we cannot judge
    const v4 = isIP(address) === 6 ? embeddedIPv4(address) : null;
    if (check(allowed, address) || (v4 !== null && check(allowed, v4))) return false;
    return check(blocked, address) || (v4 !== null && check(blocked, v4));
  };

  const lookup: LookupFunction = (hostname, options, callback) => {
    // Resolve every address, judge them all, then answer in the shape the caller asked for (`all` or not).
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const bad = addresses.find((a) => isBlocked(a.address));
      if (bad !== undefined) return callback(new BlockedAddressError(hostname, bad.address), '', 0);
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, first.address, first.family);
    });
  };

  return { isBlocked, lookup };
}
