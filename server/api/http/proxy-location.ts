// Where a pods/proxy or services/proxy request goes, found as upstream's
// ResourceLocation finds it (pkg/registry/core/pod/strategy.go; the service
// storage's, from the service's Endpoints), with upstream's errors. The
// name part is `name`, `name:port` or `scheme:name:port`. What comes out is
// a pod and a port (the node's tunnel reaches it), and the host and port
// of upstream's location URL, which the pod's answers are compared with.
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import { joinHostPort } from '../../../common/dial-errors.js';
import { isGlobalUnicast, parseIpSloppy } from '../../../common/ip-addresses.js';
import type { PodRef } from '../../../common/pod-streams.js';
import type { PodObject } from '../../controllers/pod-predicates.js';
import { podIPs } from '../../controllers/service-endpoints.js';
import { podRef } from '../../streams/pod-target.js';
import { quote } from '../kinds/field-errors.js';
import type { Registry } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { ApiError, errors } from '../status.js';

export interface ProxyLocation {
  readonly pod: PodRef;
  readonly tls: boolean;
  /** host[:port] as upstream's location URL has it (no port when the scheme's default is meant). */
  readonly host: string;
  /** Where upstream dials, ip:port, as its dial errors name it. */
  readonly address: string;
  /** The port in the pod; 0 when there is none to open, and `dialError` says why, as Go's dial would. */
  readonly port: number;
  readonly dialError?: string;
}

export interface ProxyTypes {
  readonly pods: ResourceType;
  readonly services: ResourceType;
  readonly endpoints: ResourceType;
}

interface SchemeNamePort {
  readonly scheme: string;
  readonly name: string;
  readonly port: string;
}

/** apimachinery's SplitSchemeNamePort: one to three parts, a name, and a scheme of "", http or https. */
function splitSchemeNamePort(id: string): SchemeNamePort | undefined {
  const parts = id.split(':');
  if (parts.length > 3) return undefined;
  const [scheme, name, port] = parts.length === 3 ? (parts as [string, string, string]) : ['', parts[0]!, parts[1] ?? ''];
  return name !== '' && ['', 'http', 'https'].includes(scheme) ? { scheme, name, port } : undefined;
}

/**
 * A pod's location: its first IP (a global unicast one, or 400 "address not
 * allowed"), and the port named, else the first port of its containers,
 * else the scheme's. A port number is taken as it is, as upstream's URL
 * takes it (a bad one fails when connecting, with Go's dial error). A port
 * name is looked up in the containers' ports; upstream cannot serve one (the
 * URL it builds does not parse), so its failure is Bramble's wording, Go's
 * for a port name it does not know.
 */
export async function podLocation(registry: Registry, types: ProxyTypes, namespace: string, id: string): Promise<ProxyLocation> {
  const split = splitSchemeNamePort(id);
  if (split === undefined) throw errors.badRequest(`invalid pod request ${quote(id)}`);
  const pod = (await registry.get(types.pods, namespace, split.name)) as PodObject;
  const containers = pod.spec?.containers ?? [];
  let port = split.port;
  if (port === '') port = String(containers.find((c) => (c.ports ?? []).length > 0)?.ports?.[0]?.containerPort ?? '');
  const ip = podIPs(pod)[0] ?? '';
  const parsed = parseIpSloppy(ip);
  if (parsed === undefined || !isGlobalUnicast(parsed)) throw errors.badRequest('address not allowed');
  const ref = podRef(pod);
  if (ref === undefined) throw errors.badRequest(`pod ${split.name} does not have a host assigned`);
  const tls = split.scheme === 'https';
  if (port === '') return target(ref, tls, ip, undefined, tls ? 443 : 80);
  if (/^\d+$/.test(port)) return target(ref, tls, ip, port, dialPort(port));
  const named = containers.flatMap((c) => c.ports ?? []).find((p) => p.name === port);
  return named !== undefined ? target(ref, tls, ip, port, named.containerPort) : target(ref, tls, ip, port, `dial tcp: lookup tcp/${port}: unknown port`);
}

/** A port number as Go's dialer reads it: up to 65535, else its error. */
function dialPort(text: string): number | string {
  const port = Number(text);
  return port <= 65535 ? port : `dial tcp: address ${text}: invalid port`;
}

/** The location of `port` (a number, or the dial error it makes) at `ip`, its URL host written with `portText` as the request gave it. */
function target(pod: PodRef, tls: boolean, ip: string, portText: string | undefined, port: number | string): ProxyLocation {
  const bracketed = ip.includes(':') ? `[${ip}]` : ip;
  const host = portText === undefined ? bracketed : `${bracketed}:${portText}`;
  if (typeof port === 'string') return { pod, tls, host, address: host, port: 0, dialError: port };
  const address = joinHostPort(ip, port);
  // Nothing listens on port 0: Go's dial is refused.
  return port === 0 ? { pod, tls, host, address, port, dialError: `dial tcp ${address}: connect: connection refused` } : { pod, tls, host, address, port };
}

/**
 * A service's location: a port number is first turned into the name of
 * the service port that has it; then a random ready address of the
 * Endpoints' subsets that have a port of that name, whose pod is there in
 * the namespace with that IP. The scheme is the request's.
 */
export async function serviceLocation(registry: Registry, types: ProxyTypes, namespace: string, id: string): Promise<ProxyLocation> {
  const split = splitSchemeNamePort(id);
  if (split === undefined) throw errors.badRequest(`invalid service request ${quote(id)}`);
  let portName = split.port;
  const number = parseInt64(portName);
  if (number !== undefined) {
    const service = (await registry.get(types.services, namespace, split.name)) as Service;
    const found = (service.spec?.ports ?? []).find((p) => BigInt(p.port) === number);
    if (found === undefined) throw errors.serviceUnavailable(`no service port ${number} found for service ${quote(split.name)}`);
    portName = found.name ?? '';
  }
  const endpoints = (await registry.get(types.endpoints, namespace, split.name)) as Endpoints;
  const subsets = endpoints.subsets ?? [];
  if (subsets.length === 0) throw errors.serviceUnavailable(`no endpoints available for service ${quote(split.name)}`);
  const first = randomIndex(subsets.length);
  for (let i = 0; i < subsets.length; i++) {
    const subset = subsets[(first + i) % subsets.length]!;
    const addresses = subset.addresses ?? [];
    if (addresses.length === 0) continue;
    for (const port of subset.ports ?? []) {
      if ((port.name ?? '') !== portName) continue;
      const start = randomIndex(addresses.length);
      for (let tries = 0; tries < addresses.length; tries++) {
        const address = addresses[(start + tries) % addresses.length]!;
        const pod = await addressPod(registry, types.pods, namespace, address.ip, address.targetRef);
        if (pod !== undefined) return target(pod, split.scheme === 'https', address.ip, String(port.port), port.port);
      }
    }
  }
  throw errors.serviceUnavailable(`no endpoints available for service ${quote(id)}`);
}

/** strconv.ParseInt(s, 10, 64): an optional sign and decimal digits in int64's range. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
}

const randomIndex = (length: number) => Math.floor(Math.random() * length);

/** Upstream's isValidAddress: the address names a pod of this namespace that exists and has its IP (here it must be on a node too). */
async function addressPod(
  registry: Registry,
  pods: ResourceType,
  namespace: string,
  ip: string,
  ref: { namespace?: string; name?: string } | undefined,
): Promise<PodRef | undefined> {
  if (ref?.name === undefined || ref.namespace !== namespace) return undefined;
  let pod: PodObject;
  try {
    pod = (await registry.get(pods, namespace, ref.name)) as PodObject;
  } catch (err) {
    if (err instanceof ApiError) return undefined;
    throw err;
  }
  return podIPs(pod).includes(ip) ? podRef(pod) : undefined;
}
