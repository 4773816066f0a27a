// IP addresses and CIDR prefixes as numbers, parsed as Go's netip parses
// them (no leading zeros, no zone, no IPv4-mapped IPv6) and printed in
// canonical form: for the CEL library's ip()/cidr() and the API's checks;
// and addresses as Go's older, lenient net.ParseIP read them, for the API
// fields that still take that (parseIpSloppy).
import { isIP } from 'node:net';

export interface Ip {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** An address as upstream's ip() accepts it: no leading zeros, no zone, no IPv4-mapped IPv6. */
export function parseIp(s: string): Ip | undefined {
  const family = isIP(s);
  if (family === 4) return { family, value: s.split('.').reduce((v, part) => (v << 8n) | BigInt(part), 0n) };
  if (family !== 6 || s.includes('%')) return undefined;
  const groups = expandIpv6(s);
  if (groups === undefined || (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)) return undefined;
  return { family, value: groups.reduce((v, g) => (v << 16n) | BigInt(g), 0n) };
}

function expandIpv6(s: string): number[] | undefined {
  let text = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}

export function canonicalIp(ip: Ip): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 255n)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((ip.value >> shift) & 0xffffn).toString(16));
  // The WHATWG URL parser writes IPv6 as RFC 5952 does (Go's netip too): lower case, the longest zero run as "::".
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

export interface Cidr {
  readonly ip: Ip;
  readonly bits: number;
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0 || !/^\d{1,3}$/.test(s.slice(slash + 1))) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const bits = Number(s.slice(slash + 1));
  return ip === undefined || bits > (ip.family === 4 ? 32 : 128) ? undefined : { ip, bits };
}

export function canonicalCidr(c: Cidr): string {
  return `${canonicalIp(c.ip)}/${c.bits}`;
}

export function mask(family: 4 | 6, bits: number): bigint {
  const width = family === 4 ? 32n : 128n;
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(bits))) - 1n);
}

export function contains(c: Cidr, ip: Ip, bits: number): boolean {
  return ip.family === c.ip.family && (ip.value & mask(ip.family, bits)) === (c.ip.value & mask(c.ip.family, bits));
}

/**
 * An address as Go's net.ParseIP read it before Go 1.17, which is what
 * upstream's validation (k8s.io/utils' ParseIPSloppy) still accepts for the
 * fields that have always taken it (Endpoints, EndpointSlices, external IPs):
 * IPv4 fields with leading zeros (decimal: "010" is 10), hex groups with
 * them, no zone. An IPv4-mapped IPv6 address ("::ffff:1.2.3.4") is the IPv4
 * address, as Go's To4 makes it.
 */
export function parseIpSloppy(s: string): Ip | undefined {
  const dot = s.indexOf('.');
  const colon = s.indexOf(':');
  if (colon < 0 || (dot >= 0 && dot < colon)) {
    const v4 = parseIpv4Sloppy(s);
    return v4 === undefined ? undefined : { family: 4, value: v4 };
  }
  const v6 = parseIpv6Sloppy(s);
  if (v6 === undefined) return undefined;
  return v6 >> 32n === 0xffffn ? { family: 4, value: v6 & 0xffffffffn } : { family: 6, value: v6 };
}

function parseIpv4Sloppy(s: string): bigint | undefined {
  const fields = s.split('.');
  if (fields.length !== 4 || !fields.every((f) => /^\d+$/.test(f) && Number(f) <= 255)) return undefined;
  return fields.reduce((v, f) => (v << 8n) | BigInt(Number(f)), 0n);
}

function parseIpv6Sloppy(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string, last: boolean): bigint[] | undefined => {
    if (part === '') return [];
    const groups: bigint[] = [];
    const texts = part.split(':');
    for (const [i, text] of texts.entries()) {
      if (last && i === texts.length - 1 && text.includes('.')) {
        const v4 = parseIpv4Sloppy(text);
        if (v4 === undefined) return undefined;
        groups.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9A-Fa-f]+$/.test(text) && parseInt(text, 16) <= 0xffff) {
        groups.push(BigInt(parseInt(text, 16)));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const ellipsis = halves.length === 2;
  const head = groupsOf(halves[0]!, !ellipsis);
  const tail = ellipsis ? groupsOf(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  // "::" stands for at least one group of zeros.
  if (ellipsis ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<bigint>(missing).fill(0n), ...tail].reduce((v, g) => (v << 16n) | g, 0n);
}

// Go's net.IP predicates (the API's special addresses, kubelet's node IP).

export function isUnspecified(ip: Ip): boolean {
  return ip.value === 0n;
}

/** 224.0.0.0/4 and ff00::/8. */
export function isMulticast(ip: Ip): boolean {
  return ip.family === 4 ? ip.value >> 28n === 0xen : ip.value >> 120n === 0xffn;
}

export function isLoopback(ip: Ip): boolean {
  return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n;
}

export function isLinkLocalUnicast(ip: Ip): boolean {
  return ip.family === 4 ? ip.value >> 16n === 0xa9fen : ip.value >> 118n === 0xfe80n >> 6n;
}

/** 224.0.0.0/24; in IPv6 every multicast address of link-local scope (ff02::, ff12::, …). */
export function isLinkLocalMulticast(ip: Ip): boolean {
  return ip.family === 4 ? ip.value >> 8n === 0xe00000n : ip.value >> 120n === 0xffn && ((ip.value >> 112n) & 0xfn) === 2n;
}

/** Go's IsGlobalUnicast: an address none of the above is, nor IPv4's broadcast (what the API lets its proxy reach). */
export function isGlobalUnicast(ip: Ip): boolean {
  const broadcast = ip.family === 4 && ip.value === 0xffffffffn;
  return !broadcast && !isUnspecified(ip) && !isLoopback(ip) && !isMulticast(ip) && !isLinkLocalUnicast(ip);
}
