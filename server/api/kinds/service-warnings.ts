// Upstream's warnings for a Service (pkg/api/service/warnings.go, Kubernetes
// 1.31), on create and on every update: the deprecated topology-aware-hints
// annotation, addresses and prefixes that Go's net/netip will not take or
// prints otherwise (IPv4 with leading zeros, IPv6 not in RFC 5952 form), and
// external IPs or an external name the Service's type ignores.
import type { ServiceSpec } from 'kubernetes-types/core/v1.js';
import { isIP } from 'node:net';
import { canonicalIp, parseIp, parseIpSloppy } from '../../../common/ip-addresses.js';
import type { KubeObject } from '../objects.js';
import { quote } from './field-errors.js';

const TOPOLOGY_AWARE_HINTS = 'service.kubernetes.io/topology-aware-hints';
const TOPOLOGY_MODE = 'service.kubernetes.io/topology-mode';
const APPLY_LOOPS = 'which may cause controller apply-loops';

export function serviceWarnings(obj: KubeObject): string[] {
  const spec = (obj['spec'] ?? {}) as ServiceSpec;
  const warnings: string[] = [];
  if (obj.metadata.annotations?.[TOPOLOGY_AWARE_HINTS] !== undefined) {
    warnings.push(`annotation ${TOPOLOGY_AWARE_HINTS} is deprecated, please use ${TOPOLOGY_MODE} instead`);
  }
  // IsServiceIPSet: neither headless nor without one.
  if (spec.clusterIP && spec.clusterIP !== 'None') (spec.clusterIPs ?? []).forEach((ip, i) => warnings.push(...ipWarnings(`spec.clusterIPs[${i}]`, ip)));
  (spec.externalIPs ?? []).forEach((ip, i) => warnings.push(...ipWarnings(`spec.externalIPs[${i}]`, ip)));
  if (spec.loadBalancerIP) warnings.push(...ipWarnings('spec.loadBalancerIP', spec.loadBalancerIP));
  (spec.loadBalancerSourceRanges ?? []).forEach((cidr, i) => warnings.push(...cidrWarnings(`spec.loadBalancerSourceRanges[${i}]`, cidr)));
  if (spec.type === 'ExternalName' && (spec.externalIPs ?? []).length > 0) warnings.push('spec.externalIPs is ignored when spec.type is "ExternalName"');
  if (spec.type !== 'ExternalName' && spec.externalName) warnings.push('spec.externalName is ignored when spec.type is not "ExternalName"');
  return warnings;
}

/**
 * getWarningsForIP, for an address the lenient parser takes: netip's error
 * for IPv4 with leading zeros, or IPv6 as netip would print it. Lenient IPv6
 * forms that netip refuses (a group of five digits, an embedded IPv4 with
 * leading zeros) get none: their messages are not rebuilt.
 */
function ipWarnings(path: string, address: string): string[] {
  const parsed = netipAddr(address);
  if (parsed === undefined) return [];
  if ('error' in parsed) return [`${path}: IP address was accepted, but will be invalid in a future Kubernetes release: ${parsed.error}`];
  if (parsed.v6 && parsed.text !== address) return [`${path}: IPv6 address ${quote(address)} is not in RFC 5952 canonical format (${quote(parsed.text)}), ${APPLY_LOOPS}`];
  return [];
}

/** getWarningsForCIDR: as ipWarnings, for a prefix; a prefix length with a leading zero is refused too. */
function cidrWarnings(path: string, cidr: string): string[] {
  const slash = cidr.lastIndexOf('/');
  const bits = cidr.slice(slash + 1);
  const addr = slash < 0 ? undefined : netipAddr(cidr.slice(0, slash));
  if (addr === undefined || !/^\d+$/.test(bits) || Number(bits) > ('v6' in addr && addr.v6 ? 128 : 32)) return [];
  const accepted = 'but will be invalid in a future Kubernetes release';
  if ('error' in addr) return [`${path}: IP prefix was accepted, ${accepted}: netip.ParsePrefix(${quote(cidr)}): ${addr.error}`];
  if (bits.length > 1 && bits.startsWith('0')) return [`${path}: IP prefix was accepted, ${accepted}: netip.ParsePrefix(${quote(cidr)}): bad bits after slash: ${quote(bits)}`];
  const canonical = `${addr.text}/${Number(bits)}`;
  if (addr.v6 && canonical !== cidr) return [`${path}: IPv6 prefix ${quote(cidr)} is not in RFC 5952 canonical format (${quote(canonical)}), ${APPLY_LOOPS}`];
  return [];
}

/** netip.ParseAddr of an address the lenient parser took: its String(), or the error it gives; undefined when that is not known here. */
function netipAddr(address: string): { v6: boolean; text: string } | { error: string } | undefined {
  const sloppy = parseIpSloppy(address);
  if (sloppy === undefined) return undefined;
  if (!address.includes(':')) {
    return address.split('.').some((octet) => octet.length > 1 && octet.startsWith('0'))
      ? { error: `ParseAddr(${quote(address)}): IPv4 field has octet with leading zero` }
      : { v6: false, text: address };
  }
  if (isIP(address) !== 6) return undefined;
  // An IPv4-mapped address keeps its dotted form in netip's String().
  if (sloppy.family === 4) return { v6: true, text: `::ffff:${canonicalIp(sloppy)}` };
  return { v6: true, text: canonicalIp(parseIp(address)!) };
}
