// The names the serving certificate must carry, and comparing them with the
// names a certificate has. Names are kept canonical (lower-case DNS names,
// RFC 5952 IP text) so that equal names compare equal however they were written.
import { isIP } from 'node:net';
import { hostname, type NetworkInterfaceInfo } from 'node:os';
import type { SubjectAltName } from './certificates.js';
import { PkiError } from './errors.js';

/** How pods and local tools reach the API server (the names k3s uses). */
const API_NAMES = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];
/** ASCII only: Go rejects a whole certificate whose dNSName is not IA5. */
const DNS_NAME = /^[a-z0-9*_.-]+$/i;

/**
 * The API names, this host's name, every non-link-local address of every local interface
 * (`interfaces`, as os.networkInterfaces() lists them) and the `--tls-san` entries.
 * Throws PkiError when an entry is neither an IP address nor a DNS name.
 */
export function servingSans(tlsSans: readonly string[], interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): SubjectAltName[] {
  const names = API_NAMES.map((name): SubjectAltName => ({ type: 'dns', value: name }));
  // A host name a certificate cannot hold is left out rather than stopping the server.
  if (DNS_NAME.test(hostname())) names.push({ type: 'dns', value: hostname().toLowerCase() });
  for (const addresses of Object.values(interfaces)) {
    // IPv6 link-local addresses are not reachable by name from elsewhere, and
    // every pod's host-side interface has one: they would churn the certificate.
    for (const { address, family, scopeid } of addresses ?? []) {
      if (family === 'IPv6' && (scopeid ?? 0) !== 0) continue;
      names.push({ type: 'ip', value: canonicalIp(address) });
    }
  }
  for (const entry of tlsSans) names.push(parseTlsSan(entry));
  const unique = new Map(names.map((n) => [key(n), n]));
  return [...unique.values()];
}

/** The names in `wanted` that `have` does not contain, as "dns:…" / "ip:…". */
export function missingSans(have: readonly SubjectAltName[], wanted: readonly SubjectAltName[]): string[] {
  const present = new Set(have.map(key));
  return wanted.map(key).filter((k) => !present.has(k));
}

function parseTlsSan(entry: string): SubjectAltName {
  const value = entry.trim();
  if (isIP(value) !== 0) {
    if (value.includes('%')) throw new PkiError(`--tls-san ${entry}: an IPv6 zone (%…) cannot go in a certificate`);
    return { type: 'ip', value: canonicalIp(value) };
  }
  if (!DNS_NAME.test(value)) throw new PkiError(`--tls-san ${JSON.stringify(entry)} is neither an IP address nor an ASCII DNS name`);
  return { type: 'dns', value: value.toLowerCase() };
}

function key(name: SubjectAltName): string {
  const ip = name.type === 'ip' && isIP(name.value) !== 0;
  return ip ? `ip:${canonicalIp(name.value)}` : `${name.type}:${name.value.toLowerCase()}`;
}

/** RFC 5952 text for an address; also turns ::ffff:1.2.3.4 into all-hex, which @peculiar/x509 misencodes otherwise. */
function canonicalIp(ip: string): string {
  return new URL(isIP(ip) === 6 ? `http://[${ip}]` : `http://${ip}`).hostname.replace(/^\[|\]$/g, '');
}
