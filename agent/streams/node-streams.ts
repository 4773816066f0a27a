// The node's side of PodStreams: each stream the server asks for, opened on
// this node's runtime (exec, attach and port-forward through the runtime's
// stream server; logs from the log files).
import type { RuntimeClient } from '../cri/runtime-client.js';
import type { PodStream, PodStreamRequest } from '../../common/pod-streams.js';
import { openLogStream } from './log-stream.js';
import { podContainer, podSandbox } from './pod-containers.js';
import { execSpdy, portForwardSpdy } from './runtime-spdy.js';
import { refuse } from './stream-request.js';

export interface NodeStreamsOptions {
  readonly runtime: RuntimeClient;
  /** Where the pods' log directories are (kubelet's /var/log/pods). */
  readonly logRoot: string;
  /** How often a followed log checks whether its container still runs; default 1 s. */
  readonly logCheckIntervalMs?: number;
}

export class NodeStreams {
  constructor(private readonly opts: NodeStreamsOptions) {}

  async open(request: PodStreamRequest): Promise<PodStream> {
    const { runtime } = this.opts;
    switch (request.kind) {
      case 'log':
        return openLogStream(runtime, this.opts.logRoot, request, this.opts.logCheckIntervalMs);
      case 'exec':
      case 'attach': {
        const container = await podContainer(runtime, request.pod, request.container);
        // kubelet's words when the container is not running.
        if (container?.state !== 'CONTAINER_RUNNING') throw refuse.failed(`container not found ("${request.container}")`);
        // With a terminal, stderr is part of stdout (the runtime refuses both).
        const streams = { stdin: request.stdin, stdout: request.stdout, stderr: request.stderr && !request.tty, tty: request.tty };
        const url = request.kind === 'exec' ? await runtime.exec(container.id, [...request.command], streams) : await runtime.attach(container.id, streams);
        return execSpdy(url, streams);
      }
      case 'portforward': {
        const sandbox = await podSandbox(runtime, request.pod);
        if (sandbox?.state !== 'SANDBOX_READY') throw refuse.failed(`pod not found ("${request.pod.name}_${request.pod.namespace}")`);
        return portForwardSpdy(await runtime.portForward(sandbox.id, [request.port]), request.port);
      }
    }
  }
}
