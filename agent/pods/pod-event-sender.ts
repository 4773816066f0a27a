// PodEvents over the agent's link: each event goes to the server at once as
// a pod_event message, or is dropped (with a debug line) when there is no
// stream or it is backed up. Never queued: an agent away from its server
// for a day must not hold a day of events in a Pi's memory.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodEventReport } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import type { PodEvents } from './pod-events.js';

export class PodEventSender implements PodEvents {
  constructor(
    /** False when the event could not be sent now. */
    private readonly send: (event: PodEventReport) => boolean,
    private readonly log: Logger,
  ) {}

  record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    const meta = pod.metadata ?? {};
    const event: PodEventReport = { namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '', type, reason, message, fieldPath: fieldPath ?? '' };
    if (!this.send(event)) this.log.debug('pod event dropped: no stream to the server', { pod: `${event.namespace}/${event.name}`, reason });
  }
}
