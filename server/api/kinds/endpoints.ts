// core/v1 Endpoints: SetDefaults_Endpoints (a port's protocol TCP) and
// ValidateEndpoints as upstream's pkg/apis/core/validation has it
// (Kubernetes 1.31), on create and update alike: each subset has an address,
// ready or not; each address a valid IP that is no unspecified, loopback or
// link-local one, a DNS-label hostname and a DNS-subdomain nodeName; each
// port a DNS-label name (required once a subset has two ports), a number, a
// protocol and a qualified-name appProtocol. targetRef is not checked.
import type { EndpointAddress, EndpointPort, Endpoints } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import { checkName } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { portNumberErrors, validateProtocol } from './containers.js';
import { invalid, required } from './field-errors.js';
import { validateIP, validateNonSpecialIP } from './ip-fields.js';
import { validateQualifiedName } from './labels.js';

type EndpointsObject = KubeObject & Endpoints;

export const endpointsRules: KindRules = {
  defaults(obj: KubeObject): void {
    for (const subset of (obj as EndpointsObject).subsets ?? []) {
      for (const port of subset.ports ?? []) port.protocol ||= 'TCP';
    }
  },

  validate(obj: KubeObject): StatusCause[] {
    const causes: StatusCause[] = [];
    ((obj as EndpointsObject).subsets ?? []).forEach((subset, i) => {
      const at = `subsets[${i}]`;
      const addresses = subset.addresses ?? [];
      const notReady = subset.notReadyAddresses ?? [];
      // Headless services' endpoints may have no ports, never no address.
      if (addresses.length === 0 && notReady.length === 0) causes.push(required(at, 'must specify `addresses` or `notReadyAddresses`'));
      addresses.forEach((address, j) => causes.push(...addressErrors(address, `${at}.addresses[${j}]`)));
      notReady.forEach((address, j) => causes.push(...addressErrors(address, `${at}.notReadyAddresses[${j}]`)));
      const ports = subset.ports ?? [];
      ports.forEach((port, j) => causes.push(...portErrors(port, ports.length > 1, `${at}.ports[${j}]`)));
    });
    return causes;
  },
};

/** validateEndpointAddress: an address that is no IP is told so twice, as upstream does. */
function addressErrors(address: EndpointAddress, at: string): StatusCause[] {
  const ip = address.ip ?? '';
  const causes = validateIP(ip, `${at}.ip`);
  if (address.hostname) causes.push(...checkName(address.hostname, 'label', `${at}.hostname`));
  if (address.nodeName != null) causes.push(...checkName(address.nodeName, 'subdomain', `${at}.nodeName`));
  causes.push(...validateNonSpecialIP(ip, `${at}.ip`));
  return causes;
}

function portErrors(port: EndpointPort, requireName: boolean, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (requireName && !port.name) causes.push(required(`${at}.name`));
  else if (port.name) causes.push(...checkName(port.name, 'label', `${at}.name`));
  const number = port.port ?? 0;
  causes.push(...portNumberErrors(number).map((m) => invalid(`${at}.port`, String(number), m)));
  causes.push(...validateProtocol(port.protocol, `${at}.protocol`));
  if (port.appProtocol != null) causes.push(...validateQualifiedName(port.appProtocol, `${at}.appProtocol`));
  return causes;
}
