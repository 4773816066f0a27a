// The Kubernetes CEL libraries CRD rules use most beyond CEL's own and its
// strings extension, as k8s.io/apiserver/pkg/cel/library defines them:
// lists (isSorted, sum, min, max, indexOf, lastIndexOf) and IP addresses and
// CIDRs (isIP, ip, isCIDR, cidr and their methods). Addresses and prefixes
// are carried as their canonical strings rather than upstream's own types,
// so `ip(a) == ip(b)` and `cidr(c) == cidr(c).masked()` compare as
// upstream's do.
import type { CelFunc, CelValue } from '@bufbuild/cel';
import { canonicalCidr, canonicalIp, type Cidr, contains, type Ip, mask, parseCidr, parseIp } from '../../../common/ip-addresses.js';

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
