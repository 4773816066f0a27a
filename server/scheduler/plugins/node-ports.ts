// NodePorts: two pods cannot bind the same host port and protocol on one
// node, unless they bind different host IPs (0.0.0.0 overlaps every IP).
import type { HostPort, Plugin } from '../framework.js';

/** HostPortInfo.CheckConflict; podInfoOf already defaulted hostIP to 0.0.0.0 and protocol to TCP. */
function conflicts(want: HostPort, used: HostPort): boolean {
  return (
    want.port === used.port &&
    want.protocol === used.protocol &&
    (want.hostIP === used.hostIP || want.hostIP === '0.0.0.0' || used.hostIP === '0.0.0.0')
  );
}

export const nodePorts: Plugin = {
  name: 'NodePorts',
  filter: (pod, node) =>
    pod.hostPorts.some((want) => node.pods.some((other) => other.hostPorts.some((used) => conflicts(want, used))))
      ? ["node(s) didn't have free ports for the requested pod ports"]
      : [],
};
