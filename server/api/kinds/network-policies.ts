// networking.k8s.io/v1 NetworkPolicies, validated as upstream's
// pkg/apis/networking/validation does (Kubernetes 1.31): selectors, ports
// (a protocol, a port by number or name, endPort only after a numeric
// port), peers (exactly one kind when it is an ipBlock; CIDRs valid, each
// `except` strictly inside its `cidr`) and policyTypes. What is enforced of
// them comes with the agent's networking.
import type { IPBlock, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec } from 'kubernetes-types/networking/v1.js';
import { contains, parseCidr } from '../../../common/ip-addresses.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { validatePortNumOrName } from './containers.js';
import { forbidden, goStrings, invalid, notSupported, quote, required, VALID_CIDR } from './field-errors.js';
import { validateLabelSelector } from './labels.js';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

export const networkPolicyRules: KindRules = {
  validate(obj: KubeObject): StatusCause[] {
    const spec: Partial<NetworkPolicySpec> = (obj as KubeObject & { spec?: NetworkPolicySpec }).spec ?? {};
    const causes = validateLabelSelector(spec.podSelector, 'spec.podSelector');
    (spec.ingress ?? []).forEach((rule, i) => {
      (rule.ports ?? []).forEach((port, j) => causes.push(...portErrors(port, `spec.ingress[${i}].ports[${j}]`)));
      (rule.from ?? []).forEach((peer, j) => causes.push(...peerErrors(peer, `spec.ingress[${i}].from[${j}]`)));
    });
    (spec.egress ?? []).forEach((rule, i) => {
      (rule.ports ?? []).forEach((port, j) => causes.push(...portErrors(port, `spec.egress[${i}].ports[${j}]`)));
      (rule.to ?? []).forEach((peer, j) => causes.push(...peerErrors(peer, `spec.egress[${i}].to[${j}]`)));
    });
    const types = spec.policyTypes ?? [];
    if (types.length > POLICY_TYPES.length) {
      // Upstream prints a pointer to the list here; its contents say more.
      causes.push(invalid('spec.policyTypes', goStrings(types), 'may not specify more than two policyTypes'));
    } else {
      types.forEach((type, i) => {
        if (!POLICY_TYPES.includes(type)) causes.push(notSupported(`spec.policyTypes[${i}]`, quote(type), POLICY_TYPES));
      });
    }
    return causes;
  },
};

function portErrors(port: NetworkPolicyPort, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (port.protocol != null && !PROTOCOLS.includes(port.protocol)) causes.push(notSupported(`${at}.protocol`, quote(port.protocol), PROTOCOLS));
  const endPort = port.endPort;
  if (port.port == null) {
    if (endPort != null) causes.push(invalid(`${at}.endPort`, String(endPort), 'may not be specified when `port` is not specified'));
    return causes;
  }
  causes.push(...validatePortNumOrName(port.port, `${at}.port`));
  if (endPort != null) {
    if (typeof port.port !== 'number') causes.push(invalid(`${at}.endPort`, String(endPort), 'may not be specified when `port` is non-numeric'));
    else {
      if (endPort < port.port) causes.push(invalid(`${at}.endPort`, String(endPort), 'must be greater than or equal to `port`'));
      causes.push(...validatePortNumOrName(endPort, `${at}.endPort`));
    }
  }
  return causes;
}

function peerErrors(peer: NetworkPolicyPeer, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let kinds = 0;
  if (peer.podSelector != null) {
    kinds++;
    causes.push(...validateLabelSelector(peer.podSelector, `${at}.podSelector`));
  }
  if (peer.namespaceSelector != null) {
    kinds++;
    causes.push(...validateLabelSelector(peer.namespaceSelector, `${at}.namespaceSelector`));
  }
  if (peer.ipBlock != null) {
    kinds++;
    causes.push(...ipBlockErrors(peer.ipBlock, `${at}.ipBlock`));
  }
  if (kinds === 0) causes.push(required(at, 'must specify a peer'));
  else if (kinds > 1 && peer.ipBlock != null) causes.push(forbidden(at, 'may not specify both ipBlock and another peer'));
  return causes;
}

function ipBlockErrors(block: IPBlock, at: string): StatusCause[] {
  if (!block.cidr) return [required(`${at}.cidr`)];
  const cidr = parseCidr(block.cidr);
  if (cidr === undefined) return [invalid(`${at}.cidr`, quote(block.cidr), VALID_CIDR)];
  const causes: StatusCause[] = [];
  (block.except ?? []).forEach((text, i) => {
    const path = `${at}.except[${i}]`;
    const except = parseCidr(text);
    if (except === undefined) causes.push(invalid(path, quote(text), VALID_CIDR));
    else if (!contains(cidr, except.ip, cidr.bits) || cidr.bits >= except.bits) causes.push(invalid(path, quote(text), 'must be a strict subset of `cidr`'));
  });
  return causes;
}
