// Records the events agents report about their pods as kubelet's events:
// source component "kubelet" with the node as host, the pod (and container,
// by fieldPath) as the involved object, aggregated as every recorder here
// aggregates. Only for the reporting node's own pods (node-pods.ts); a
// malformed event is dropped with a warning, the stream stays.
import type { PodEventReport } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { EventRecorder } from '../controllers/event-recorder.js';
import { nodePod } from './node-pods.js';

/** kubelet's events: what the message may say at most (client-go truncates there too). */
const MAX_MESSAGE = 1024;
const FIELD_PATH = /^spec\.(containers|initContainers|ephemeralContainers)\{[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\}$/;
const REASON = /^[A-Za-z][A-Za-z0-9]{0,127}$/;

export interface PodEventWriterOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly log: Logger;
}

export class PodEventWriter {
  readonly #pods: ResourceType;
  readonly #recorder: EventRecorder;

  constructor(private readonly opts: PodEventWriterOptions) {
    this.#pods = opts.catalogue.get('', 'v1', 'pods')!;
    this.#recorder = new EventRecorder(opts.registry, opts.catalogue, 'kubelet', opts.log);
  }

  async write(node: string, event: PodEventReport, log: Logger): Promise<void> {
    const pod = `${event.namespace}/${event.name}`;
    const problem = malformed(event);
    if (problem !== undefined) return log.warn('pod event refused', { pod, reason: problem });
    const found = await nodePod(this.opts.registry, this.#pods, node, event);
    if (typeof found === 'string') return log.debug('pod event dropped: not this node’s pod', { pod, reason: found });
    this.#recorder.record(
      { apiVersion: 'v1', kind: 'Pod', metadata: found.metadata },
      event.type as 'Normal' | 'Warning',
      event.reason,
      event.message.length > MAX_MESSAGE ? event.message.slice(0, MAX_MESSAGE) : event.message,
      { host: node, ...(event.fieldPath !== '' ? { fieldPath: event.fieldPath } : {}) },
    );
  }
}

function malformed(event: PodEventReport): string | undefined {
  if (event.type !== 'Normal' && event.type !== 'Warning') return `type must be Normal or Warning, not ${JSON.stringify(event.type)}`;
  if (!REASON.test(event.reason)) return `reason ${JSON.stringify(event.reason)} is not an UpperCamelCase word`;
  if (event.fieldPath !== '' && !FIELD_PATH.test(event.fieldPath)) return `fieldPath ${JSON.stringify(event.fieldPath)} names no container`;
  return undefined;
}
