// Runs one probe of one container, as kubelet's prober does
// (pkg/kubelet/prober/prober.go): the handler (exec, httpGet, tcpSocket),
// tried up to three times while it cannot run at all, and the events
// kubelet records on the pod for the container: `Unhealthy` Warning
// "Liveness probe failed: <output>" on every failure, "… probe errored
// and resulted in … state: …" when it could not run, `ProbeWarning` for a
// redirect it did not follow.
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import type { PodEvents } from '../pods/pod-events.js';
import { resolveContainerPort } from './container-port.js';
import { execProbe } from './exec-probe.js';
import { httpGetRequest, httpProbe } from './http-probe.js';
import { type ProbeOutcome, ProbeRunError } from './probe-outcome.js';
import { tcpProbe } from './tcp-probe.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** What a probe run counts as; undefined when it could not run (the worker throws that away). */
export type ProbeVerdict = 'success' | 'failure' | undefined;

export interface ProberOptions {
  readonly runtime: Pick<RuntimeClient, 'execSync'>;
  readonly events: PodEvents;
  readonly log: Logger;
}

const RETRIES = 3;

export const KIND_NAMES: Readonly<Record<ProbeKind, string>> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export class Prober {
  constructor(private readonly opts: ProberOptions) {}

  async probe(kind: ProbeKind, spec: Probe, pod: Pod, container: Container, containerId: string, podIp: string): Promise<ProbeVerdict> {
    const name = KIND_NAMES[kind];
    const event = (type: 'Normal' | 'Warning', reason: string, message: string): void =>
      this.opts.events.record(pod, type, reason, message, `spec.containers{${container.name}}`);
    let outcome: ProbeOutcome | undefined;
    let error: unknown;
    for (let i = 0; i < RETRIES && outcome === undefined; i++) {
      try {
        outcome = await this.#run(spec, pod, container, containerId, podIp);
      } catch (err) {
        error = err;
      }
    }
    const ctx = { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, container: container.name, probe: kind };
    if (outcome === undefined) {
      const result = error instanceof ProbeRunError ? error.result : 'unknown';
      const message = error instanceof Error ? error.message : String(error);
      this.opts.log.debug('probe errored', { ...ctx, result, error: message });
      event('Warning', 'Unhealthy', `${name} probe errored and resulted in ${result} state: ${message}`);
      return undefined;
    }
    switch (outcome.result) {
      case 'success':
        return 'success';
      case 'warning':
        event('Warning', 'ProbeWarning', `${name} probe warning: ${outcome.output}`);
        return 'success';
      case 'failure':
        this.opts.log.debug('probe failed', { ...ctx, output: outcome.output });
        event('Warning', 'Unhealthy', `${name} probe failed: ${outcome.output}`);
        return 'failure';
      default:
        return 'failure';
    }
  }

  #run(spec: Probe, pod: Pod, container: Container, containerId: string, podIp: string): Promise<ProbeOutcome> {
    const timeoutSeconds = spec.timeoutSeconds || 1;
    if (spec.exec !== undefined) return execProbe(this.opts.runtime, containerId, spec.exec.command ?? [], timeoutSeconds);
    if (spec.httpGet !== undefined) return httpProbe(httpGetRequest(spec.httpGet, container, podIp), timeoutSeconds * 1000);
    if (spec.tcpSocket !== undefined) {
      return tcpProbe(spec.tcpSocket.host || podIp, resolveContainerPort(spec.tcpSocket.port, container), timeoutSeconds * 1000);
    }
    // kubelet's format.Pod: name_namespace(uid).
    const meta = pod.metadata ?? {};
    throw new ProbeRunError(`missing probe handler for ${meta.name}_${meta.namespace}(${meta.uid}):${container.name}`);
  }
}
