// The node's addresses, read on every report so a DHCP change shows.
import { networkInterfaces } from 'node:os';
import { isLinkLocalUnicast, parseIp } from '../../common/ip-addresses.js';
import type { NodeAddress } from '../../common/agent-protocol.js';
import type { HostFiles } from './host-files.js';
import { defaultRouteInterface } from './procfs.js';

/**
 * InternalIP: `nodeIp` when given, else the IPv4 address of the interface
 * with the default route, else the first IPv4 address neither loopback nor
 * link-local (none when the machine has none). Hostname: `hostname`.
 */
export async function nodeAddresses(host: HostFiles, hostname: string, nodeIp: string | undefined): Promise<NodeAddress[]> {
  const ip = nodeIp ?? internalIp(await host.readOptional('/proc/net/route'));
  return [...(ip === undefined ? [] : [{ type: 'InternalIP', address: ip }]), { type: 'Hostname', address: hostname }];
}

function internalIp(route: string | undefined): string | undefined {
  const interfaces = networkInterfaces();
  // As kubelet's ChooseHostInterface: a global unicast address, never a link-local one (169.254/16, what a missing DHCP lease leaves).
  const ipv4 = (name: string) => interfaces[name]?.find((a) => a.family === 'IPv4' && !a.internal && !isLinkLocalUnicast(parseIp(a.address)!))?.address;
  const viaDefaultRoute = route === undefined ? undefined : defaultRouteInterface(route);
  if (viaDefaultRoute !== undefined) {
    const ip = ipv4(viaDefaultRoute);
    if (ip !== undefined) return ip;
  }
  for (const name of Object.keys(interfaces)) {
    const ip = ipv4(name);
    if (ip !== undefined) return ip;
  }
  return undefined;
}
