// IP addresses and CIDR prefixes as numbers, parsed as Go's netip parses
// them (no leading zeros, no zone, no IPv4-mapped IPv6) and printed in
// canonical form: for the CEL library's ip()/cidr() and the API's checks.
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
