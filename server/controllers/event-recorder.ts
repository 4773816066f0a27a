// Events for what a controller does (core/v1, as `kubectl describe` reads
// them). The same event about the same object again within the hour bumps
// the count and lastTimestamp of the one already written (client-go's
// correlator), so a pod retried every few seconds shows "(x12 over 3m)"
// rather than a dozen events. Recording never fails the caller: an event
// that cannot be written is logged and dropped.
import type { Event } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { type KubeObject, metaTime } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';

/** Written events remembered for aggregation: the oldest are forgotten first. */
const REMEMBERED = 4096;
/** Events expire after an hour (the store's TTL), so an older one is not bumped. */
const AGGREGATE_MS = 55 * 60_000;

export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: KubeObject['metadata'];
}

/** Where in the object and from which host (a node's kubelet) an event comes. */
export interface EventDetails {
  /** The part of the object: a container, as "spec.containers{NAME}". */
  readonly fieldPath?: string;
  /** The node the reporting component runs on. */
  readonly host?: string;
}

interface Written {
  readonly namespace: string;
  readonly name: string;
  readonly firstMs: number;
}

export class EventRecorder {
  readonly #events: ResourceType;
  readonly #written = new Map<string, Written>();
  #sequence = 0;

  constructor(
    private readonly registry: Registry,
    catalogue: Catalogue,
    private readonly component: string,
    private readonly log: Logger,
  ) {
    this.#events = catalogue.get('', 'v1', 'events')!;
  }

  record(object: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string, details: EventDetails = {}): void {
    this.#write(object, type, reason, message, details).catch((err: unknown) => this.log.warn('could not record an event', { reason, object: object.metadata.name, error: err }));
  }

  async #write(object: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string, { fieldPath, host }: EventDetails): Promise<void> {
    const namespace = object.metadata.namespace || 'default';
    const key = `${object.metadata.uid ?? ''}\u0000${fieldPath ?? ''}\u0000${host ?? ''}\u0000${type}\u0000${reason}\u0000${message}`;
    const time = metaTime();
    const earlier = this.#written.get(key);
    if (earlier !== undefined && Date.now() - earlier.firstMs < AGGREGATE_MS) {
      try {
        await this.registry.patch(
          this.#events,
          earlier.namespace,
          earlier.name,
          (current) => {
            const event = current as KubeObject & Event;
            event.count = (event.count ?? 1) + 1;
            event.lastTimestamp = time;
            return event;
          },
          {},
        );
        // Most recently used last, so the oldest is the first forgotten.
        this.#written.delete(key);
        this.#written.set(key, earlier);
        return;
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    const name = `${object.metadata.name ?? 'unknown'}.${(BigInt(Date.now()) * 1_000_000n + BigInt(this.#sequence++ % 1_000_000)).toString(16)}`;
    const event: Event = {
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
        name: object.metadata.name!,
        ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
        ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.component, ...(host ? { host } : {}) },
      reportingComponent: this.component,
      reportingInstance: host || this.component,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    };
    await this.registry.create(this.#events, namespace, { apiVersion: 'v1', kind: 'Event', ...event } as KubeObject, {});
    this.#written.set(key, { namespace, name, firstMs: Date.now() });
    if (this.#written.size > REMEMBERED) this.#written.delete(this.#written.keys().next().value!);
  }
}
