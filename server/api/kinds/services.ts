// Services: SetDefaults_Service, the IP-family and allocated-value handling
// of the service REST layer (not the allocation itself), the strategy's
// PrepareFor*, and ValidateService / ValidateServiceUpdate. The cluster is
// single-stack IPv4; node ports come from 30000-32767.
import { isIP } from 'node:net';
import type { ServicePort, ServiceSpec, ServiceStatus } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import { checkName } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { portNumberErrors, validatePortNumOrName, validateProtocol } from './containers.js';
import { semanticEqual } from './equality.js';
import { duplicate, forbidden, goStrings, invalid, notSupported, pointerValue, quote, required } from './field-errors.js';
import { VALID_IP, validateIP, validateNonSpecialIP } from './ip-fields.js';
import { validateLabels, validateQualifiedName } from './labels.js';

type Service = KubeObject & { spec?: ServiceSpec; status?: ServiceStatus };

const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;
const CLIENT_IP_TIMEOUT = 10800;
const MAX_CLIENT_IP_TIMEOUT = 86400;
const CLUSTER_FAMILY = 'IPv4';
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

export const serviceRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const svc = obj as Service;
    const spec = (svc.spec ??= {});
    const oldSpec = (old as Service | undefined)?.spec;
    spec.sessionAffinity ||= 'None';
    if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
    if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: CLIENT_IP_TIMEOUT } };
    }
    spec.type ||= 'ClusterIP';
    for (const port of spec.ports ?? []) {
      port.protocol ||= 'TCP';
      if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
    }
    if (externallyAccessible(spec)) spec.externalTrafficPolicy ||= 'Cluster';
    if (['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type)) spec.internalTrafficPolicy ??= 'Cluster';
    if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
    if (oldSpec !== undefined) keepAllocatedValues(spec, oldSpec);
    normalizeClusterIPs(spec, oldSpec);
    ipFamilyDefaults(spec, oldSpec);
    if (oldSpec === undefined) svc.status = { loadBalancer: {} };
    else {
      dropTypeDependentFields(spec, oldSpec);
      if (spec.type !== 'LoadBalancer') svc.status = { ...svc.status, loadBalancer: {} };
    }
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const spec = (obj as Service).spec!;
    const oldSpec = (old as Service | undefined)?.spec;
    // The allocation stage answers first, on its own, as upstream's REST layer does.
    for (const stage of [clusterIPCauses, ipFamilyCauses, nodePortRangeCauses]) {
      const causes = stage(spec);
      if (causes.length > 0) return causes;
    }
    return [...(oldSpec === undefined ? [] : clusterIPUpdateCauses(spec, oldSpec)), ...validateService(spec)];
  },
};

function externallyAccessible(spec: ServiceSpec): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && (spec.externalIPs ?? []).length > 0);
}

function isHeadless(spec: ServiceSpec): boolean {
  return spec.clusterIPs?.length === 1 && spec.clusterIPs[0] === 'None';
}

function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

function needsHealthCheck(spec: ServiceSpec): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/** patchAllocatedValues: a PUT that leaves out allocated IPs and ports keeps them. */
function keepAllocatedValues(spec: ServiceSpec, oldSpec: ServiceSpec): void {
  if (spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName') {
    spec.clusterIP ||= oldSpec.clusterIP;
    if ((spec.clusterIPs ?? []).length === 0 && (oldSpec.clusterIPs ?? []).length > 0) spec.clusterIPs = oldSpec.clusterIPs;
  }
  if (needsNodePorts(spec) && needsNodePorts(oldSpec)) {
    const used = (s: ServiceSpec): Set<number> => new Set((s.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0));
    const newUsed = used(spec);
    const taken = new Set([...used(oldSpec)].filter((n) => newUsed.has(n)));
    const byName = new Map((oldSpec.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const port of spec.ports ?? []) {
      const previous = byName.get(port.name ?? '') ?? 0;
      if (!port.nodePort && !taken.has(previous) && previous !== 0) port.nodePort = previous;
    }
  }
  if (needsHealthCheck(spec) && needsHealthCheck(oldSpec)) spec.healthCheckNodePort ||= oldSpec.healthCheckNodePort;
}

/** NormalizeClusterIPs: clients that only know clusterIP still get clusterIPs in step. */
function normalizeClusterIPs(spec: ServiceSpec, oldSpec: ServiceSpec | undefined): void {
  const ips = spec.clusterIPs ?? [];
  if (oldSpec === undefined) {
    if (spec.clusterIP && ips.length === 0) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  const sameIPs = semanticEqual(spec.clusterIPs, oldSpec.clusterIPs);
  if ((oldSpec.clusterIPs ?? []).length > 0 && ips.length === 0 && (oldSpec.clusterIP ?? '') === (spec.clusterIP ?? '')) spec.clusterIPs = oldSpec.clusterIPs;
  if ((oldSpec.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (oldSpec.clusterIP && !spec.clusterIP && sameIPs) delete spec.clusterIPs;
    if (spec.clusterIP && sameIPs) spec.clusterIPs = [spec.clusterIP];
  }
}

/** initIPFamilyFields for a single-stack cluster. */
function ipFamilyDefaults(spec: ServiceSpec, oldSpec: ServiceSpec | undefined): void {
  if (spec.type === 'ExternalName') return;
  const selectorless = Object.keys(spec.selector ?? {}).length === 0;
  const headlessSelectorless = spec.clusterIP === 'None' && selectorless;
  spec.ipFamilyPolicy ??= oldSpec?.ipFamilyPolicy ?? (headlessSelectorless ? 'RequireDualStack' : 'SingleStack');
  const families = spec.ipFamilies ?? [];
  for (const [i, ip] of (spec.clusterIPs ?? []).entries()) {
    if (ip === 'None') break;
    if (i < families.length) continue;
    // An IPv6 address has no family on this cluster: leave the families for ipFamilyCauses to refuse.
    if (isIP(ip) === 6) return;
    families.push('IPv4');
  }
  if (families.length === 0) families.push(CLUSTER_FAMILY);
  // Headless selectorless services may name both families even on a single-stack cluster.
  if (headlessSelectorless && families.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
  spec.ipFamilies = families;
}

/** A type change drops what only the old type used, unless the client changed it itself. */
function dropTypeDependentFields(spec: ServiceSpec, oldSpec: ServiceSpec): void {
  if (oldSpec.type !== 'ExternalName' && spec.type === 'ExternalName') {
    if (semanticEqual(spec.clusterIPs, oldSpec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (semanticEqual(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === oldSpec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  const nodePorts = (s: ServiceSpec): number[] => (s.ports ?? []).map((p) => p.nodePort ?? 0);
  if (needsNodePorts(oldSpec) && !needsNodePorts(spec) && semanticEqual(nodePorts(spec), nodePorts(oldSpec))) {
    for (const port of spec.ports ?? []) delete port.nodePort;
  }
  if (needsHealthCheck(oldSpec) && !needsHealthCheck(spec) && spec.healthCheckNodePort === oldSpec.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (oldSpec.type === 'LoadBalancer' && spec.type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) {
    delete spec.allocateLoadBalancerNodePorts;
  }
  if (externallyAccessible(oldSpec) && !externallyAccessible(spec) && spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy) {
    delete spec.externalTrafficPolicy;
  }
}

// --- validation -----------------------------------------------------------

/** ValidateServiceClusterIPsRelatedFields. */
function clusterIPCauses(spec: ServiceSpec): StatusCause[] {
  if (spec.type === 'ExternalName') return [];
  const causes: StatusCause[] = [];
  const ips = spec.clusterIPs ?? [];
  const rendered = goStrings(spec.clusterIPs);
  if (spec.clusterIP) {
    if (ips.length === 0) causes.push(required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP) causes.push(invalid('spec.clusterIPs', rendered, 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    causes.push(invalid('spec.clusterIPs', rendered, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((family, i) => {
    if (family !== 'IPv4' && family !== 'IPv6') causes.push(notSupported(`spec.ipFamilies[${i}]`, quote(family), ['IPv4', 'IPv6']));
    if (seen.has(family)) causes.push(duplicate(`spec.ipFamilies[${i}]`, quote(family)));
    seen.add(family);
  });
  const policies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
  if (spec.ipFamilyPolicy !== undefined && !policies.includes(spec.ipFamilyPolicy)) causes.push(notSupported('spec.ipFamilyPolicy', quote(spec.ipFamilyPolicy), policies));
  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        badIPs = true;
        causes.push(invalid('spec.clusterIPs', rendered, "'None' must be the first and only value"));
      }
      return;
    }
    if (isIP(ip) === 0) {
      badIPs = true;
      causes.push(invalid(`spec.clusterIPs[${i}]`, quote(ip), VALID_IP));
    }
  });
  if (ips.length > 2) causes.push(invalid('spec.clusterIPs', rendered, 'may only hold up to 2 values'));
  if (badIPs) return causes;
  if (ips.length > 1 && new Set(ips.map((ip) => isIP(ip))).size !== ips.length) {
    causes.push(invalid('spec.clusterIPs', rendered, 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(spec)) {
    const families = spec.ipFamilies ?? [];
    ips.slice(0, families.length).forEach((ip, i) => {
      const v6 = isIP(ip) === 6;
      if (families[i] === 'IPv4' && v6) causes.push(invalid(`spec.clusterIPs[${i}]`, quote(ip), `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (families[i] === 'IPv6' && !v6) causes.push(invalid(`spec.clusterIPs[${i}]`, quote(ip), `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return causes;
}

/** What initIPFamilyFields refuses on a single-stack IPv4 cluster. */
function ipFamilyCauses(spec: ServiceSpec): StatusCause[] {
  if (spec.type === 'ExternalName') return [];
  const causes: StatusCause[] = [];
  const policy = spec.ipFamilyPolicy ?? '';
  const ips = spec.clusterIPs ?? [];
  const families = spec.ipFamilies ?? [];
  if (policy === 'SingleStack') {
    if (ips.length === 2) causes.push(invalid('spec.ipFamilyPolicy', quote(policy), "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    if (families.length === 2) causes.push(invalid('spec.ipFamilyPolicy', quote(policy), "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }
  for (const [i, ip] of ips.entries()) {
    if (ip === 'None') break;
    if (isIP(ip) === 6 && families[i] === undefined) causes.push(invalid(`spec.clusterIPs[${i}]`, goStrings(ips), 'IPv6 is not configured on this cluster'));
  }
  if (causes.length > 0 || (spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0)) return causes;
  if (policy === 'RequireDualStack') causes.push(invalid('spec.ipFamilyPolicy', quote(policy), 'this cluster is not configured for dual-stack services'));
  families.forEach((family, i) => {
    if (family !== CLUSTER_FAMILY) causes.push(invalid(`spec.ipFamilies[${i}]`, quote(family), 'not configured on this cluster'));
  });
  return causes;
}

/** The node-port allocator's range check: the first port outside it. */
function nodePortRangeCauses(spec: ServiceSpec): StatusCause[] {
  if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') return [];
  const i = (spec.ports ?? []).findIndex((p) => p.nodePort !== undefined && p.nodePort !== 0 && (p.nodePort < NODE_PORT_MIN || p.nodePort > NODE_PORT_MAX));
  if (i < 0) return [];
  const nodePort = spec.ports![i]!.nodePort!;
  return [
    invalid(`spec.ports[${i}].nodePort`, String(nodePort), `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`),
  ];
}

/** validateUpgradeDowngradeClusterIPs: a service keeps its primary cluster IP. */
function clusterIPUpdateCauses(spec: ServiceSpec, oldSpec: ServiceSpec): StatusCause[] {
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName' || (isHeadless(spec) && isHeadless(oldSpec))) return [];
  const ips = spec.clusterIPs ?? [];
  const oldIPs = oldSpec.clusterIPs ?? [];
  const rendered = goStrings(spec.clusterIPs);
  if (ips.length === oldIPs.length) {
    return oldIPs.flatMap((ip, i) => (ip === ips[i] ? [] : [invalid(`spec.clusterIPs[${i}]`, rendered, 'may not change once set')]));
  }
  const causes: StatusCause[] = [];
  if (ips.length < oldIPs.length) {
    if (ips.length === 0) causes.push(invalid('spec.clusterIPs[0]', rendered, 'primary clusterIP can not be unset'));
    if (ips.length > 0 && ips[0] !== oldIPs[0]) causes.push(invalid('spec.clusterIPs', rendered, 'may not change once set'));
    if (ips.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
      causes.push(invalid('spec.clusterIPs[0]', rendered, "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
    causes.push(invalid('spec.clusterIPs', rendered, 'may not change once set'));
  }
  return causes;
}

/** ValidateService, in upstream's order. */
function validateService(spec: ServiceSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  const ports = spec.ports ?? [];
  const headless = isHeadless(spec);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') causes.push(required('spec.ports'));
  if ((spec.type === 'LoadBalancer' || spec.type === 'NodePort') && headless) {
    causes.push(invalid('spec.clusterIPs[0]', quote('None'), `may not be set to 'None' for ${spec.type} services`));
  }
  if (spec.type === 'ExternalName') {
    for (const f of ['clusterIPs', 'ipFamilies', 'ipFamilyPolicy'] as const) {
      const value = spec[f];
      if (value !== undefined && (!Array.isArray(value) || value.length > 0)) causes.push(forbidden(`spec.${f}`, 'may not be set for ExternalName services'));
    }
    // A CNAME may end in a dot: fully qualified.
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    causes.push(...(cname === '' ? [required('spec.externalName')] : checkName(cname, 'subdomain', 'spec.externalName')));
  }
  const names = new Set<string>();
  ports.forEach((port, i) => causes.push(...validateServicePort(port, `spec.ports[${i}]`, ports.length > 1, names)));
  causes.push(...validateLabels(spec.selector, 'spec.selector'));
  const affinity = spec.sessionAffinity ?? '';
  if (affinity !== 'ClientIP' && affinity !== 'None') causes.push(notSupported('spec.sessionAffinity', quote(affinity), ['ClientIP', 'None']));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (affinity === 'ClientIP' && timeout !== undefined && (timeout <= 0 || timeout > MAX_CLIENT_IP_TIMEOUT)) {
    causes.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', String(timeout), `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT}`));
  }
  (spec.externalIPs ?? []).forEach((ip, i) => causes.push(...externalIPCauses(ip, `spec.externalIPs[${i}]`)));
  if (!TYPES.includes(spec.type ?? '')) causes.push(notSupported('spec.type', quote(spec.type ?? ''), TYPES));
  if (spec.type === 'ClusterIP') {
    ports.forEach((port, i) => {
      if (port.nodePort) causes.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  causes.push(...duplicatePorts(ports));
  if ((spec.loadBalancerSourceRanges ?? []).length > 0 && spec.type !== 'LoadBalancer') {
    causes.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer') {
    causes.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  causes.push(...trafficPolicyCauses(spec));
  return causes;
}

function validateServicePort(port: ServicePort, path: string, requireName: boolean, names: Set<string>): StatusCause[] {
  const causes: StatusCause[] = [];
  if (requireName && !port.name) causes.push(required(`${path}.name`));
  else if (port.name) {
    causes.push(...checkName(port.name, 'label', `${path}.name`));
    if (names.has(port.name)) causes.push(duplicate(`${path}.name`, quote(port.name)));
    else names.add(port.name);
  }
  causes.push(...portNumberErrors(port.port).map((m) => invalid(`${path}.port`, String(port.port), m)));
  causes.push(...validateProtocol(port.protocol, `${path}.protocol`));
  if (port.targetPort !== undefined) causes.push(...validatePortNumOrName(port.targetPort, `${path}.targetPort`));
  if (port.appProtocol !== undefined) causes.push(...validateQualifiedName(port.appProtocol, `${path}.appProtocol`));
  return causes;
}

/** One nodePort per protocol, one port per protocol. */
function duplicatePorts(ports: readonly ServicePort[]): StatusCause[] {
  const causes: StatusCause[] = [];
  const nodePorts = new Set<string>();
  ports.forEach((port, i) => {
    if (!port.nodePort) return;
    const key = `${port.protocol}/${port.nodePort}`;
    if (nodePorts.has(key)) causes.push(duplicate(`spec.ports[${i}].nodePort`, String(port.nodePort)));
    nodePorts.add(key);
  });
  const seen = new Set<string>();
  ports.forEach((port, i) => {
    const key = `${port.protocol}/${port.port}`;
    if (seen.has(key)) {
      // Upstream shows the (protocol, port) key as a Go struct.
      const value = `core.ServicePort{Name:"", Protocol:${quote(port.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${port.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
      causes.push(duplicate(`spec.ports[${i}]`, value));
    }
    seen.add(key);
  });
  return causes;
}

/** IsValidIP, then ValidateNonSpecialIP, for external IPs. */
function externalIPCauses(ip: string, path: string): StatusCause[] {
  const causes = validateIP(ip, path);
  return causes.length > 0 ? causes : validateNonSpecialIP(ip, path);
}

function trafficPolicyCauses(spec: ServiceSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  const external = spec.externalTrafficPolicy ?? '';
  if (!externallyAccessible(spec)) {
    if (external !== '') causes.push(invalid('spec.externalTrafficPolicy', quote(external), 'may only be set for externally-accessible services'));
  } else if (external !== 'Cluster' && external !== 'Local') {
    causes.push(notSupported('spec.externalTrafficPolicy', quote(external), ['Cluster', 'Local']));
  }
  const healthCheck = spec.healthCheckNodePort ?? 0;
  if (!needsHealthCheck(spec) && healthCheck !== 0) {
    causes.push(invalid('spec.healthCheckNodePort', String(healthCheck), "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (healthCheck !== 0) {
    causes.push(...portNumberErrors(healthCheck).map((m) => invalid('spec.healthCheckNodePort', String(healthCheck), m)));
  }
  const internal = spec.internalTrafficPolicy;
  if (internal !== undefined && internal !== 'Cluster' && internal !== 'Local') causes.push(notSupported('spec.internalTrafficPolicy', quote(internal), ['Cluster', 'Local']));
  const distribution = spec.trafficDistribution;
  if (distribution !== undefined && distribution !== 'PreferClose') causes.push(notSupported('spec.trafficDistribution', pointerValue(distribution), ['PreferClose']));
  return causes;
}
