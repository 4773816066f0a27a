// The port a probe names (a number, or a container port's name), as
// kubelet resolves it (pkg/probe ResolveContainerPort), with its messages:
// a name no port has is tried as a number before it is an error.
import type { Container } from 'kubernetes-types/core/v1.js';

export function resolveContainerPort(port: number | string, container: Container): number {
  let resolved: number;
  if (typeof port === 'number') resolved = port;
  else {
    const named = container.ports?.find((p) => p.name === port);
    if (named !== undefined) resolved = named.containerPort;
    else if (/^[+-]?\d+$/.test(port)) resolved = Number(port);
    else throw new Error(`strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`);
  }
  if (Number.isInteger(resolved) && resolved > 0 && resolved < 65536) return resolved;
  throw new Error(`invalid port number: ${resolved}`);
}
