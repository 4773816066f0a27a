// What the Endpoints and EndpointSlice controllers both read from pods and
// services (upstream's k8s.io/endpointslice/util): which pods a service
// selects and which services a pod change concerns, whether a pod belongs
// in endpoints at all, the port a service port resolves to on a pod, and
// the last-change-trigger-time both annotate their objects with.
import type { ObjectReference, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/objects.js';
import { ApiError } from '../api/status.js';
import { type PodObject, podReadyCondition } from './pod-predicates.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';

export type ServiceObject = KubeObject & Service;
export type IPFamily = 'IPv4' | 'IPv6';

export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/**
 * Follows pods and services for a controller keyed by service: each pod
 * change queues the services that select the pod now or selected it before
 * (its labels are kept until it goes, for that).
 */
export class ServicePods {
  readonly #pods: SharedInformer;
  readonly #services: SharedInformer;
  /** Namespace → pod key → the pod's labels when last seen. */
  readonly #podLabels = new Map<string, Map<string, Readonly<Record<string, string>>>>();
  /** Namespace → service keys. */
  readonly #servicesIn = new Map<string, Set<string>>();

  constructor(informers: SharedInformers) {
    this.#pods = informers.of('', 'v1', 'pods');
    this.#services = informers.of('', 'v1', 'services');
  }

  /** Lists pods and services; nothing is reported before `follow`. */
  async start(): Promise<void> {
    await Promise.all([this.#pods.start(), this.#services.start()]);
  }

  /** Calls `queue` with the key of every service to look at again, starting with all of them (pods indexed first). */
  follow(queue: (serviceKey: string) => void): void {
    this.#pods.subscribe((key) => {
      const namespace = namespaceOf(key);
      const labels = this.#podLabels.get(namespace) ?? new Map<string, Readonly<Record<string, string>>>();
      const before = labels.get(key);
      const pod = this.#pods.get(key);
      const now = pod === undefined ? undefined : (pod.metadata.labels ?? {});
      for (const serviceKey of this.#servicesIn.get(namespace) ?? []) {
        const selector = selectorOf(this.service(serviceKey));
        if (selector !== undefined && (selects(selector, before) || selects(selector, now))) queue(serviceKey);
      }
      if (now !== undefined) this.#podLabels.set(namespace, labels.set(key, now));
      else if (labels.delete(key) && labels.size === 0) this.#podLabels.delete(namespace);
    });
    this.#services.subscribe((key) => {
      const namespace = namespaceOf(key);
      const keys = this.#servicesIn.get(namespace) ?? new Set<string>();
      if (this.#services.get(key) !== undefined) this.#servicesIn.set(namespace, keys.add(key));
      else if (keys.delete(key) && keys.size === 0) this.#servicesIn.delete(namespace);
      queue(key);
    });
  }

  service(key: string): ServiceObject | undefined {
    return this.#services.get(key) as ServiceObject | undefined;
  }

  /** The pods in the service's namespace that its selector matches. */
  podsOf(service: ServiceObject, selector: Readonly<Record<string, string>>): PodObject[] {
    const keys = this.#podLabels.get(service.metadata.namespace!)?.keys() ?? [];
    return [...keys].flatMap((key) => {
      const pod = this.#pods.get(key) as PodObject | undefined;
      return pod !== undefined && selects(selector, pod.metadata.labels) ? [pod] : [];
    });
  }
}

export function namespaceOf(key: string): string {
  return key.slice(0, key.indexOf('/'));
}

export function nameOf(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

/**
 * The selector whose pods a controller publishes, or undefined when the
 * service's endpoints are left to its user: no selector (an empty one is
 * none, as it is once stored upstream) or an ExternalName.
 */
export function selectorOf(service: ServiceObject | undefined): Readonly<Record<string, string>> | undefined {
  const spec = service?.spec;
  if (spec === undefined || spec.type === 'ExternalName') return undefined;
  return Object.keys(spec.selector ?? {}).length > 0 ? spec.selector : undefined;
}

function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (labels === undefined) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** ShouldPodBeInEndpoints: not finished, has an IP, and not terminating unless those are included. */
export function shouldPodBeInEndpoints(pod: PodObject, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (podIPs(pod).length === 0) return false;
  return includeTerminating || pod.metadata.deletionTimestamp === undefined;
}

/** A pod's IPs (podIPs; podIP alone counts as the list of one, as API conversion makes it upstream). */
export function podIPs(pod: PodObject): string[] {
  const listed = (pod.status?.podIPs ?? []).flatMap((p) => (p.ip ? [p.ip] : []));
  if (listed.length > 0) return listed;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

export function familyOf(ip: string): IPFamily {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** A hostname is published for a pod that names this service as its subdomain. */
export function hostnameFor(pod: PodObject, service: ServiceObject): string | undefined {
  const hostname = pod.spec?.hostname;
  const matches = hostname && pod.spec?.subdomain === service.metadata.name && pod.metadata.namespace === service.metadata.namespace;
  return matches ? hostname : undefined;
}

/** FindPort: a number is the port; a name is looked up among the containers' (and sidecars') ports of the same protocol. */
export function findPort(pod: PodObject, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort;
  if (typeof target === 'number') return target;
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const container of [...(pod.spec?.containers ?? []), ...sidecars]) {
    const port = (container.ports ?? []).find((p) => p.name === target && (p.protocol ?? 'TCP') === servicePort.protocol);
    if (port !== undefined) return port.containerPort;
  }
  return undefined;
}

export function podRef(pod: PodObject): ObjectReference {
  return { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! };
}

/** A service has a cluster IP unless it is headless ("None") or has none at all. */
export function isServiceIPSet(service: ServiceObject): boolean {
  const ip = service.spec?.clusterIP;
  return ip !== undefined && ip !== '' && ip !== 'None';
}

/** The service's labels with the headless label its endpoints carry when it has no cluster IP. */
export function labelsFor(service: ServiceObject, base: Readonly<Record<string, string>>): Record<string, string> {
  const labels = { ...base };
  if (isServiceIPSet(service)) delete labels[HEADLESS_LABEL];
  else labels[HEADLESS_LABEL] = '';
  return labels;
}

/** Whether a write failed because the namespace is being deleted or gone: nothing more goes there. */
export function namespaceClosed(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 403 || err.code === 404) && err.details?.kind === 'namespaces';
}

/**
 * The endpoints.kubernetes.io/last-change-trigger-time upstream's
 * TriggerTimeTracker computes: the earliest of the changes (a pod's Ready
 * transition, the service's creation) seen since the last sync, or the
 * service's creation on its first sync; undefined when nothing changed.
 */
export class TriggerTimeTracker {
  readonly #states = new Map<string, { service: number; pods: Map<string, number> }>();

  compute(key: string, service: ServiceObject, pods: readonly PodObject[]): string | undefined {
    const state = this.#states.get(key);
    const podTimes = new Map<string, number>();
    let earliest: number | undefined;
    for (const pod of pods) {
      const changed = Date.parse(podReadyCondition(pod)?.lastTransitionTime ?? '');
      if (Number.isNaN(changed)) continue;
      podTimes.set(pod.metadata.name!, changed);
      if (changed > (state?.pods.get(pod.metadata.name!) ?? -Infinity)) earliest = Math.min(earliest ?? changed, changed);
    }
    const created = Date.parse(service.metadata.creationTimestamp!);
    if (created > (state?.service ?? -Infinity)) earliest = Math.min(earliest ?? created, created);
    this.#states.set(key, { service: created, pods: podTimes });
    const at = state === undefined ? created : earliest;
    return at === undefined ? undefined : rfc3339Nano(at);
  }

  delete(key: string): void {
    this.#states.delete(key);
  }
}

/** Go's RFC3339Nano in UTC: no trailing zeros in the fraction. */
function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** Sets (or, with undefined, clears) an annotation, dropping an emptied map as upstream's omitempty does. */
export function setAnnotation(obj: KubeObject, name: string, value: string | undefined): void {
  const annotations = { ...obj.metadata.annotations };
  if (value === undefined) delete annotations[name];
  else annotations[name] = value;
  if (Object.keys(annotations).length > 0) obj.metadata.annotations = annotations;
  else delete obj.metadata.annotations;
}
