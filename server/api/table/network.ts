// Printers for how traffic reaches pods: Service, Endpoints, EndpointSlice and Ingress.
import type { EndpointSubset, Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress, IngressRule } from 'kubernetes-types/networking/v1.js';
import { joinHostPort } from '../../../common/dial-errors.js';
import { ageColumn, column, docs, nameColumn } from './columns.js';
import { age } from './duration.js';
import { formatLabels } from './format.js';
import type { Printer } from './table.js';

/** Load balancer ingress points: each one's IP, else its hostname; sorted, without repeats. */
function loadBalancerAddresses(ingress: readonly { ip?: string; hostname?: string }[] | undefined): string {
  const addresses = new Set<string>();
  for (const point of ingress ?? []) {
    const address = point.ip || point.hostname;
    if (address) addresses.add(address);
  }
  // The server prints wide, so upstream's 16-character clipping never applies.
  return [...addresses].sort().join(',');
}

export const servicePrinter: Printer = {
  columns: [
    nameColumn,
    column('Type', 'string', docs.svcType),
    column('Cluster-IP', 'string', docs.clusterIP),
    column('External-IP', 'string', docs.externalIPs),
    column('Port(s)', 'string', docs.ports),
    ageColumn,
    column('Selector', 'string', docs.svcSelector, 1),
  ],
  cells(object, now) {
    const service = object as unknown as Service;
    const spec = service.spec ?? {};
    // ClusterIP is the type, and clusterIPs[0] the clusterIP, that defaulting stores.
    const type = spec.type || 'ClusterIP';
    const clusterIP = spec.clusterIPs?.[0] || spec.clusterIP || '<none>';
    return [
      object.metadata.name ?? '',
      type,
      clusterIP,
      externalIP(service, type),
      portsCell(spec.ports) || '<none>',
      age(object, now),
      formatLabels(spec.selector),
    ];
  },
};

function externalIP(service: Service, type: string): string {
  const externalIPs = service.spec?.externalIPs ?? [];
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const balancer = loadBalancerAddresses(service.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) return [...(balancer ? balancer.split(',') : []), ...externalIPs].join(',');
      return balancer || '<pending>';
    }
    case 'ExternalName':
      return service.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** "80/TCP,443/TCP", with the node port when there is one: "80:30080/TCP". */
function portsCell(ports: readonly ServicePort[] | undefined): string {
  return (ports ?? [])
    .map((p) => {
      const protocol = p.protocol || 'TCP';
      return p.nodePort ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
    })
    .join(',');
}

export const endpointsPrinter: Printer = {
  columns: [nameColumn, column('Endpoints', 'string', docs.subsets), ageColumn],
  cells(object, now) {
    return [object.metadata.name ?? '', endpointsCell((object as unknown as Endpoints).subsets), age(object, now)];
  },
};

export const endpointSlicePrinter: Printer = {
  columns: [
    nameColumn,
    column('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type.'),
    column('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    ageColumn,
  ],
  cells(object, now) {
    const slice = object as unknown as EndpointSlice;
    const ports = (slice.ports ?? []).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : (p.name ?? '*')));
    const addresses = (slice.endpoints ?? []).flatMap((e) => e.addresses);
    return [object.metadata.name ?? '', slice.addressType, firstThree(ports), firstThree(addresses), age(object, now)];
  },
};

/** Upstream's listWithMoreString: up to three, then "+ N more...", or <unset> for none. */
function firstThree(items: readonly string[]): string {
  if (items.length === 0) return '<unset>';
  const text = items.slice(0, 3).join(',');
  return items.length > 3 ? `${text} + ${items.length - 3} more...` : text;
}

/** Up to three ready "ip:port" (or bare IPs for a subset without ports), then "+ N more...". */
function endpointsCell(subsets: readonly EndpointSubset[] | undefined): string {
  if (!subsets || subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let count = 0;
  const add = (address: string): void => {
    count++;
    if (shown.length < 3) shown.push(address);
  };
  for (const subset of subsets) {
    const addresses = subset.addresses ?? [];
    if (!subset.ports || subset.ports.length === 0) {
      for (const a of addresses) add(a.ip);
      continue;
    }
    for (const port of subset.ports) for (const a of addresses) add(joinHostPort(a.ip, port.port));
  }
  const text = shown.join(',');
  return count > 3 ? `${text} + ${count - 3} more...` : text;
}

export const ingressPrinter: Printer = {
  columns: [
    nameColumn,
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn,
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as Ingress;
    return [
      object.metadata.name ?? '',
      spec?.ingressClassName ?? '<none>',
      hostsCell(spec?.rules),
      loadBalancerAddresses(status?.loadBalancer?.ingress),
      (spec?.tls ?? []).length > 0 ? '80, 443' : '80',
      age(object, now),
    ];
  },
};

/**
 * Up to three hosts, "*" when no rule names one. Upstream's quirk kept: "+ N
 * more..." appears only once a rule follows the third host, and N counts
 * every rule past the third, hosts or not.
 */
function hostsCell(rules: readonly IngressRule[] | undefined): string {
  const list = rules ?? [];
  const hosts: string[] = [];
  let more = false;
  for (const rule of list) {
    if (hosts.length === 3) more = true;
    if (!more && rule.host) hosts.push(rule.host);
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${list.length - 3} more...` : hosts.join(',');
}
