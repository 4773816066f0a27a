// A tcpSocket probe: a connection to host:port opened within the timeout
// (from the node, as kubelet dials it) is success, and is closed at once;
// anything else fails with Go's dial error, as kubelet reports it.
import { connect } from 'node:net';
import { dialError, joinHostPort } from '../../common/dial-errors.js';
import type { ProbeOutcome } from './probe-outcome.js';

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  const address = joinHostPort(host, port);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => done({ result: 'failure', output: `dial tcp ${address}: i/o timeout` }), timeoutMs);
    const done = (outcome: ProbeOutcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    socket.once('connect', () => done({ result: 'success', output: '' }));
    socket.once('error', (err) => done({ result: 'failure', output: dialError(address, err) }));
  });
}
