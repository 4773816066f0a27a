// What the server asks of the node, checked: an OpenStream's request as a
// PodStreamRequest, or a refusal that says what is wrong with it.
import type { WireStreamRequest } from '../../common/agent-protocol.js';
import type { PodRef, PodStreamRequest } from '../../common/pod-streams.js';

/** Why the node does not open a stream: the HTTP code, API reason and message the client is shown. */
export class StreamRefusal extends Error {
  override readonly name = 'StreamRefusal';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export const refuse = {
  badRequest: (message: string) => new StreamRefusal(400, 'BadRequest', message),
  /** Upstream's kubelet answers a failed exec/attach/portforward with its bare error (500, no reason). */
  failed: (message: string) => new StreamRefusal(500, '', message),
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const UID = /^[A-Za-z0-9-]{1,64}$/;
const MAX_COMMAND_BYTES = 256 * 1024;

export function fromWireRequest(wire: WireStreamRequest): PodStreamRequest {
  if (!DNS_LABEL.test(wire.namespace) || !DNS_SUBDOMAIN.test(wire.name) || !UID.test(wire.uid)) {
    throw refuse.badRequest(`invalid pod reference ${JSON.stringify(`${wire.namespace}/${wire.name}`)} (uid ${JSON.stringify(wire.uid)})`);
  }
  // The node's own name is not needed here: the stream came to this node.
  const pod: PodRef = { namespace: wire.namespace, name: wire.name, uid: wire.uid, nodeName: '' };
  const container = () => {
    if (!DNS_LABEL.test(wire.container)) throw refuse.badRequest(`invalid container name ${JSON.stringify(wire.container)}`);
    return wire.container;
  };
  const streams = { stdin: wire.stdin, stdout: wire.stdout, stderr: wire.stderr, tty: wire.tty };
  switch (wire.kind) {
    case 'exec': {
      const size = wire.command.reduce((n, arg) => n + Buffer.byteLength(arg), 0);
      if (wire.command.length === 0) throw refuse.badRequest('you must specify at least 1 command');
      if (size > MAX_COMMAND_BYTES) throw refuse.badRequest(`the command is longer than ${MAX_COMMAND_BYTES} bytes`);
      return { kind: 'exec', pod, container: container(), command: [...wire.command], ...streams };
    }
    case 'attach':
      return { kind: 'attach', pod, container: container(), ...streams };
    case 'portforward':
      if (!Number.isInteger(wire.port) || wire.port < 1 || wire.port > 65535) throw refuse.badRequest(`invalid port ${wire.port}`);
      return { kind: 'portforward', pod, port: wire.port };
    case 'log': {
      const o = wire.log;
      if (o === null) throw refuse.badRequest('a log stream needs its options');
      const count = (name: string, value: number | undefined, min: number) => {
        if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) throw refuse.badRequest(`invalid ${name} ${value}`);
        return value;
      };
      if (o.sinceTime !== '' && Number.isNaN(Date.parse(o.sinceTime))) throw refuse.badRequest(`invalid sinceTime ${JSON.stringify(o.sinceTime)}`);
      const sinceSeconds = count('sinceSeconds', o.sinceSeconds, 1);
      const tailLines = count('tailLines', o.tailLines, 0);
      const limitBytes = count('limitBytes', o.limitBytes, 1);
      return {
        kind: 'log',
        pod,
        container: container(),
        options: {
          follow: o.follow,
          previous: o.previous,
          timestamps: o.timestamps,
          ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
          ...(o.sinceTime !== '' ? { sinceTime: o.sinceTime } : {}),
          ...(tailLines !== undefined ? { tailLines } : {}),
          ...(limitBytes !== undefined ? { limitBytes } : {}),
        },
      };
    }
    default:
      throw refuse.badRequest(`unknown stream kind ${JSON.stringify(wire.kind)}`);
  }
}
