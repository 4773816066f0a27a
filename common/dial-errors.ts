// Connection errors worded as Go's net package words them, since kubelet's
// probe messages and the API's proxy errors (and so the events and errors
// users search for) carry them verbatim:
// `dial tcp 10.88.0.5:8080: connect: connection refused`.

/** net.JoinHostPort: an IPv6 host in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ETIMEDOUT: 'connect: connection timed out',
  EADDRNOTAVAIL: 'connect: cannot assign requested address',
};

/** The error of dialing `address` (host:port) as Go's net.Dial returns it. */
export function dialError(address: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    const host = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.slice(0, address.lastIndexOf(':'));
    return `dial tcp: lookup ${host}: no such host`;
  }
  const known = err.code !== undefined ? CONNECT_ERRORS[err.code] : undefined;
  return `dial tcp ${address}: ${known ?? err.message}`;
}
