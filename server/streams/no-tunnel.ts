// PodStreams until the agent's tunnel serves them: every stream is refused
// with a clear 503, before any upgrade.
import { errors } from '../api/status.js';
import type { PodStreams } from './pod-streams.js';

export const untilTheTunnel: PodStreams = {
  open: async () => {
    throw errors.serviceUnavailable('the tunnel to the node is not there yet: this server cannot reach the node for logs, exec, attach or port-forward');
  },
};
