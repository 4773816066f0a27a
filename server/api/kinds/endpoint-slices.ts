// discovery.k8s.io/v1 EndpointSlices: the v1 defaults (a port's name "" and
// protocol TCP), the strategy's dropping of deprecatedTopology on v1 writes,
// and ValidateEndpointSlice as upstream's pkg/apis/discovery/validation has
// it (Kubernetes 1.31): a supported addressType that never changes, at most
// 1000 endpoints of 1 to 100 addresses each, every address of the slice's
// type (an IP that is no unspecified, loopback or link-local one, or a fully
// qualified domain name), DNS-subdomain nodeNames, DNS-label hostnames, zone
// hints, and at most 20000 ports with unique DNS-label names (or ""), a
// protocol and a qualified-name appProtocol. Conditions, zones, port numbers
// and the service-name and managed-by labels are not checked upstream
// either. Upstream's warning that FQDN slices are deprecated is not sent.
import type { Endpoint, EndpointHints, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../objects.js';
import { checkName, nameErrors } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { semanticEqual } from './equality.js';
import { duplicate, IMMUTABLE, invalid, notSupported, quote, required, tooMany } from './field-errors.js';
import { validateIPv4, validateIPv6, validateNonSpecialIP } from './ip-fields.js';
import { labelValueErrors, validateLabels, validateQualifiedName } from './labels.js';

type Slice = KubeObject & Partial<EndpointSlice>;

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
// The API reference still says 100: upstream raised it in 1.21 for services with many ports.
const MAX_PORTS = 20000;
const MAX_TOPOLOGY_LABELS = 16;
const MAX_ZONE_HINTS = 8;
const HOSTNAME_LABEL = 'kubernetes.io/hostname';
const ZONE_LABEL = 'topology.kubernetes.io/zone';

export const endpointSliceRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const slice = obj as Slice;
    for (const port of slice.ports ?? []) {
      port.name ??= '';
      port.protocol ??= 'TCP';
    }
    dropTopology(slice, old as Slice | undefined);
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const slice = obj as Slice;
    const addressType = slice.addressType ?? '';
    const causes: StatusCause[] = [];
    if (addressType === '') causes.push(required('addressType'));
    else if (!ADDRESS_TYPES.includes(addressType)) causes.push(notSupported('addressType', quote(addressType), ADDRESS_TYPES));
    causes.push(...endpointsErrors(slice.endpoints ?? [], addressType));
    causes.push(...portsErrors(slice.ports ?? []));
    const oldType = (old as Slice | undefined)?.addressType;
    if (old !== undefined && addressType !== (oldType ?? '')) causes.push(invalid('addressType', quote(addressType), IMMUTABLE));
    return causes;
  },
};

/**
 * dropTopologyOnV1: a v1 write drops every endpoint's deprecatedTopology
 * (unless it leaves the endpoints as they were); an endpoint without a
 * nodeName keeps the node its topology named, if the slice named it before.
 */
function dropTopology(slice: Slice, old: Slice | undefined): void {
  const endpoints = slice.endpoints ?? [];
  if (old !== undefined && semanticEqual(old.endpoints, endpoints)) return;
  const before = new Set((old?.endpoints ?? []).map((e) => e.deprecatedTopology?.[HOSTNAME_LABEL] ?? '').filter((name) => name !== ''));
  for (const endpoint of endpoints) {
    const node = endpoint.deprecatedTopology?.[HOSTNAME_LABEL];
    if (endpoint.nodeName == null && node !== undefined && before.has(node) && nameErrors(node, 'subdomain').length === 0) endpoint.nodeName = node;
    delete endpoint.deprecatedTopology;
  }
}

function endpointsErrors(endpoints: readonly Endpoint[], addressType: string): StatusCause[] {
  if (endpoints.length > MAX_ENDPOINTS) return [tooMany('endpoints', endpoints.length, MAX_ENDPOINTS)];
  const causes: StatusCause[] = [];
  endpoints.forEach((endpoint, i) => {
    const at = `endpoints[${i}]`;
    const addresses = endpoint.addresses ?? [];
    if (addresses.length === 0) causes.push(required(`${at}.addresses`, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) causes.push(tooMany(`${at}.addresses`, addresses.length, MAX_ADDRESSES));
    // Addresses of an unknown type are left alone: the type itself is refused.
    addresses.forEach((address, j) => {
      const path = `${at}.addresses[${j}]`;
      if (addressType === 'IPv4') causes.push(...validateIPv4(address, path), ...validateNonSpecialIP(address, path));
      else if (addressType === 'IPv6') causes.push(...validateIPv6(address, path), ...validateNonSpecialIP(address, path));
      else if (addressType === 'FQDN') causes.push(...fqdnErrors(address, path));
    });
    if (endpoint.nodeName != null) causes.push(...checkName(endpoint.nodeName, 'subdomain', `${at}.nodeName`));
    const topology = endpoint.deprecatedTopology;
    const topologyPath = `${at}.deprecatedTopology`;
    const topologyLabels = Object.keys(topology ?? {}).length;
    if (topologyLabels > MAX_TOPOLOGY_LABELS) causes.push(tooMany(topologyPath, topologyLabels, MAX_TOPOLOGY_LABELS));
    causes.push(...validateLabels(topology, topologyPath));
    // Only the v1beta1 API (not served) could hold it, and its conversion moves it to `zone`.
    if (topology?.[ZONE_LABEL] !== undefined) {
      causes.push({ reason: 'InternalError', message: 'Internal error: reserved key was not removed in conversion', field: `${topologyPath}[${ZONE_LABEL}]` });
    }
    if (endpoint.hostname != null) causes.push(...checkName(endpoint.hostname, 'label', `${at}.hostname`));
    if (endpoint.hints != null) causes.push(...hintsErrors(endpoint.hints, `${at}.hints`));
  });
  return causes;
}

function hintsErrors(hints: EndpointHints, at: string): StatusCause[] {
  const zones = hints.forZones ?? [];
  if (zones.length > MAX_ZONE_HINTS) return [tooMany(`${at}.forZones`, zones.length, MAX_ZONE_HINTS)];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  zones.forEach((zone, i) => {
    const path = `${at}.forZones[${i}].name`;
    const name = zone.name ?? '';
    if (seen.has(name)) causes.push(duplicate(path, quote(name)));
    else seen.add(name);
    causes.push(...labelValueErrors(name).map((m) => invalid(path, quote(name), m)));
  });
  return causes;
}

/** IsFullyQualifiedDomainName: a trailing dot allowed, at least two labels; the first problem only. */
function fqdnErrors(address: string, path: string): StatusCause[] {
  if (address === '') return [required(path)];
  const name = address.endsWith('.') ? address.slice(0, -1) : address;
  const errs = nameErrors(name, 'subdomain');
  if (errs.length > 0) return [invalid(path, quote(name), errs.join(','))];
  const labels = name.split('.');
  if (labels.length < 2) return [invalid(path, quote(name), 'should be a domain with at least two segments separated by dots')];
  for (const label of labels) {
    const bad = nameErrors(label, 'label');
    if (bad.length > 0) return [invalid(path, quote(label), bad.join(','))];
  }
  return [];
}

function portsErrors(ports: readonly EndpointPort[]): StatusCause[] {
  if (ports.length > MAX_PORTS) return [tooMany('ports', ports.length, MAX_PORTS)];
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const at = `ports[${i}]`;
    const name = port.name ?? '';
    if (name !== '') causes.push(...checkName(name, 'label', `${at}.name`));
    if (names.has(name)) causes.push(duplicate(`${at}.name`, quote(name)));
    else names.add(name);
    if (port.protocol == null) causes.push(required(`${at}.protocol`));
    else if (!PROTOCOLS.includes(port.protocol)) causes.push(notSupported(`${at}.protocol`, quote(port.protocol), PROTOCOLS));
    if (port.appProtocol != null) causes.push(...validateQualifiedName(port.appProtocol, `${at}.appProtocol`));
  });
  return causes;
}
