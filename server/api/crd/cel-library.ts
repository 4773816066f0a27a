// The Kubernetes CEL libraries CRD rules use most beyond CEL's own and its
// strings extension, as k8s.io/apiserver/pkg/cel/library defines them:
// lists (isSorted, sum, min, max, indexOf, lastIndexOf) and IP addresses and
// CIDRs (isIP, ip, isCIDR, cidr and their methods). Addresses and prefixes
// are carried as their canonical strings rather than upstream's own types,
// so `ip(a) == ip(b)` and `cidr(c) == cidr(c).masked()` compare as
// upstream's do.
import { isIP } from 'node:net';
import type { CelFunc, CelValue } from '@bufbuild/cel';

type Cel = typeof import('@bufbuild/cel');

export function kubernetesLibrary(cel: Cel): CelFunc[] {
  const { celFunc, celMethod, CelScalar, listType } = cel;
  const { BOOL, DYN, INT, STRING } = CelScalar;
  const LIST = listType(DYN);
  const items = (list: Iterable<CelValue>): CelValue[] => [...list];
  return [
    celMethod('isSorted', LIST, [], BOOL, function () {
      const xs = items(this);
      return xs.every((x, i) => i === 0 || compare(xs[i - 1], x) <= 0);
    }),
    celMethod('sum', LIST, [], DYN, function () {
      const xs = items(this);
      if (xs.every((x) => typeof x === 'bigint')) return (xs as bigint[]).reduce((a, b) => a + b, 0n);
      return (xs as number[]).reduce((a, b) => a + Number(b), 0);
    }),
    celMethod('min', LIST, [], DYN, function () {
      return extreme(items(this), 'min', -1);
    }),
    celMethod('max', LIST, [], DYN, function () {
      return extreme(items(this), 'max', 1);
    }),
    celMethod('indexOf', LIST, [DYN], INT, function (x) {
      return BigInt(items(this).findIndex((y) => compare(x, y) === 0));
    }),
    celMethod('lastIndexOf', LIST, [DYN], INT, function (x) {
      const xs = items(this);
      for (let i = xs.length - 1; i >= 0; i--) if (compare(x, xs[i]) === 0) return BigInt(i);
      return -1n;
    }),
    celFunc('isIP', [STRING], BOOL, (s) => parseIp(s) !== undefined),
    celFunc('ip', [STRING], STRING, (s) => canonicalIp(ipFrom(s))),
    celMethod('family', STRING, [], INT, function () {
      return BigInt(ipOf(this).family);
    }),
    celMethod('isUnspecified', STRING, [], BOOL, function () {
      return ipOf(this).value === 0n;
    }),
    celMethod('isLoopback', STRING, [], BOOL, function () {
      const ip = ipOf(this);
      return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n;
    }),
    celFunc('isCIDR', [STRING], BOOL, (s) => parseCidr(s) !== undefined),
    celFunc('cidr', [STRING], STRING, (s) => canonicalCidr(cidrFrom(s))),
    celMethod('ip', STRING, [], STRING, function () {
      return canonicalIp(cidrOf(this).ip);
    }),
    celMethod('prefixLength', STRING, [], INT, function () {
      return BigInt(cidrOf(this).bits);
    }),
    celMethod('masked', STRING, [], STRING, function () {
      const c = cidrOf(this);
      return canonicalCidr({ ip: { family: c.ip.family, value: c.ip.value & mask(c.ip.family, c.bits) }, bits: c.bits });
    }),
    celMethod('containsIP', STRING, [STRING], BOOL, function (s) {
      const c = cidrOf(this);
      const ip = ipFrom(s);
      return contains(c, ip, c.bits);
    }),
    celMethod('containsCIDR', STRING, [STRING], BOOL, function (s) {
      const c = cidrOf(this);
      const other = cidrFrom(s);
      return other.bits >= c.bits && contains(c, other.ip, c.bits);
    }),
  ];
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new Error(message);
  return value;
}

/** The ip() and cidr() conversions, with upstream's errors. */
function ipFrom(s: string): Ip {
  return required(parseIp(s), `IP Address '${s}' parse error during conversion from string`);
}

function cidrFrom(s: string): Cidr {
  return required(parseCidr(s), `network address parse error during conversion from string: ${s}`);
}

/** The receiver of an IP or CIDR method (a canonical string here). */
function ipOf(s: string): Ip {
  return required(parseIp(s), `'${s}' is not an IP address`);
}

function cidrOf(s: string): Cidr {
  return required(parseCidr(s), `'${s}' is not a CIDR`);
}

/** CEL's ordering of ints, doubles and strings (what these lists hold). */
function compare(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const [x, y] = [Number(a), Number(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function extreme(xs: CelValue[], name: string, sign: number): CelValue {
  if (xs.length === 0) throw new Error(`${name} called on empty list`);
  return xs.reduce((best, x) => (compare(x, best) * sign > 0 ? x : best));
}

interface Ip {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** An address as upstream's ip() accepts it: no leading zeros, no zone, no IPv4-mapped IPv6. */
function parseIp(s: string): Ip | undefined {
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

function canonicalIp(ip: Ip): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 255n)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((ip.value >> shift) & 0xffffn).toString(16));
  // The WHATWG URL parser writes IPv6 as RFC 5952 does (Go's netip too): lower case, the longest zero run as "::".
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

interface Cidr {
  readonly ip: Ip;
  readonly bits: number;
}

function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0 || !/^\d{1,3}$/.test(s.slice(slash + 1))) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const bits = Number(s.slice(slash + 1));
  return ip === undefined || bits > (ip.family === 4 ? 32 : 128) ? undefined : { ip, bits };
}

function canonicalCidr(c: Cidr): string {
  return `${canonicalIp(c.ip)}/${c.bits}`;
}

function mask(family: 4 | 6, bits: number): bigint {
  const width = family === 4 ? 32n : 128n;
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(bits))) - 1n);
}

function contains(c: Cidr, ip: Ip, bits: number): boolean {
  return ip.family === c.ip.family && (ip.value & mask(ip.family, bits)) === (c.ip.value & mask(c.ip.family, bits));
}
