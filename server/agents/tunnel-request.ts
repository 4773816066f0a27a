// A PodStreamRequest as the OpenStream message carries it to the agent.
import type { WireStreamRequest } from '../../common/agent-protocol.js';
import type { PodStreamRequest } from '../../common/pod-streams.js';

export function toWireRequest(request: PodStreamRequest): WireStreamRequest {
  const { namespace, name, uid } = request.pod;
  const pod: WireStreamRequest = { kind: request.kind, namespace, name, uid, container: '', command: [], stdin: false, stdout: false, stderr: false, tty: false, port: 0, log: null };
  switch (request.kind) {
    case 'exec':
    case 'attach': {
      const { container, stdin, stdout, stderr, tty } = request;
      return { ...pod, container, command: request.kind === 'exec' ? [...request.command] : [], stdin, stdout, stderr, tty };
    }
    case 'portforward':
      return { ...pod, port: request.port };
    case 'log': {
      const o = request.options;
      return {
        ...pod,
        container: request.container,
        log: {
          follow: o.follow,
          previous: o.previous,
          timestamps: o.timestamps,
          sinceTime: o.sinceTime ?? '',
          ...(o.sinceSeconds !== undefined ? { sinceSeconds: o.sinceSeconds } : {}),
          ...(o.tailLines !== undefined ? { tailLines: o.tailLines } : {}),
          ...(o.limitBytes !== undefined ? { limitBytes: o.limitBytes } : {}),
        },
      };
    }
  }
}
