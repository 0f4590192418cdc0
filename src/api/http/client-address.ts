import { isIP } from 'node:net';

/**
 * The rate-limit subject for a client address. An IPv4-mapped IPv6 address is its IPv4 address; an
 * IPv6 address counts as its /64, the smallest block an ISP assigns to one customer (one host can
 * hold a whole /64, so per-address limits on full IPv6 addresses would limit nothing). A missing
 * or unparseable address (the socket already closed) shares one bucket: fail closed, not open.
 */
export function addressSubject(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  const family = isIP(address);
  if (family === 4) return address;
  if (family === 6) return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
  return 'unknown';
}

/** The eight 16-bit groups of a valid IPv6 address, lower-case, without leading zeros. */
function ipv6Groups(address: string): string[] {
  const bare = address.split('%')[0] ?? address; // drop a zone index (fe80::1%eth0)
  const [head = '', tail] = bare.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').flatMap(expandEmbeddedIpv4));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}

/** `1.2.3.4` at the end of an IPv6 address is two groups. */
function expandEmbeddedIpv4(group: string): string[] {
  if (!group.includes('.')) return [group];
  const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
