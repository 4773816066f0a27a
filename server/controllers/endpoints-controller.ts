// Endpoints for services with a selector, as upstream's endpoint controller
// keeps them (pkg/controller/endpoint): one object named as the service, its
// subsets holding every selected pod with an IP — Ready ones in `addresses`,
// the others in `notReadyAddresses` (all ready with publishNotReadyAddresses)
// — on the ports the service's targetPorts resolve to on each pod. Services
// without a selector are left to their users; a service that goes takes its
// Endpoints along. Level-triggered: each reconcile reads the service and its
// pods as they are now.
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { semanticEqual } from '../api/kinds/equality.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { messageOf } from './api-errors.js';
import { isGone } from './delete-all.js';
import { EventRecorder } from './event-recorder.js';
import { keyOf } from './informer.js';
import { isPodReady, type PodObject } from './pod-predicates.js';
import {
  findPort,
  familyOf,
  HEADLESS_LABEL,
  hostnameFor,
  labelsFor,
  nameOf,
  namespaceClosed,
  namespaceOf,
  podIPs,
  podRef,
  selectorOf,
  type ServiceObject,
  ServicePods,
  setAnnotation,
  shouldPodBeInEndpoints,
  TRIGGER_TIME_ANNOTATION,
  TriggerTimeTracker,
} from './service-endpoints.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';

/** Addresses an Endpoints object holds at most; beyond, it is truncated and says so. */
const MAX_CAPACITY = 1000;
const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
/** Endpoints that hold a leader-election record have no service and are not orphans. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

type EndpointsObject = KubeObject & Endpoints;

export interface EndpointsControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

export class EndpointsController {
  readonly #index: ServicePods;
  readonly #endpoints: SharedInformer;
  readonly #queue: WorkQueue;
  readonly #type: ResourceType;
  readonly #events: EventRecorder;
  readonly #triggers = new TriggerTimeTracker();

  private constructor(private readonly opts: EndpointsControllerOptions) {
    this.#type = opts.catalogue.get('', 'v1', 'endpoints')!;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'endpoint-controller', opts.log);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('endpoints reconcile failed', { service: key, error: err, retryInMs }),
    );
    this.#index = new ServicePods(opts.informers);
    this.#endpoints = opts.informers.of('', 'v1', 'endpoints');
  }

  static async start(opts: EndpointsControllerOptions): Promise<EndpointsController> {
    const controller = new EndpointsController(opts);
    // Every cache full before the first reconcile: a service must not be written empty because its pods are not listed yet.
    await Promise.all([controller.#index.start(), controller.#endpoints.start()]);
    // Only a deleted Endpoints is looked at again (it may have to come back), as upstream watches them.
    controller.#endpoints.subscribe((key) => {
      if (controller.#endpoints.get(key) === undefined) controller.#queue.add(key);
    });
    controller.#index.follow((key) => controller.#queue.add(key));
    // Endpoints left by services deleted while the server was down go once, at start.
    for (const endpoints of controller.#endpoints.values()) {
      if (endpoints.metadata.annotations?.[LEADER_ANNOTATION] === undefined) controller.#queue.add(keyOf(endpoints));
    }
    return controller;
  }

  async reconcile(key: string): Promise<void> {
    const namespace = namespaceOf(key);
    const name = nameOf(key);
    const service = this.#index.service(key);
    if (service === undefined) {
      this.#triggers.delete(key);
      if (this.#endpoints.get(key) === undefined) return;
      try {
        await this.opts.registry.delete(this.#type, namespace, name, {});
      } catch (err) {
        if (!isGone(err)) throw err;
      }
      return;
    }
    const selector = selectorOf(service);
    if (selector === undefined) return;
    const pods = this.#index.podsOf(service, selector);
    // Computed on every sync, a no-op one too, so the tracker always holds what was last seen.
    const triggerTime = this.#triggers.compute(key, service, pods);
    const subsets = repackSubsets(pods.flatMap((pod) => podSubsets(service, pod)));
    // Compared once truncated, so a service beyond capacity is not rewritten on every sync.
    const truncated = truncate(subsets);

    const current = this.#endpoints.get(key) as EndpointsObject | undefined;
    const serviceLabels = service.metadata.labels ?? {};
    if (current !== undefined) {
      const { [HEADLESS_LABEL]: _headless, ...currentLabels } = current.metadata.labels ?? {};
      const noted = current.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] !== undefined;
      if (semanticEqual(current.subsets, subsets) && semanticEqual(currentLabels, serviceLabels) && noted === truncated) return;
    }
    const next: EndpointsObject = current !== undefined ? structuredClone(current) : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace } };
    if (subsets.length > 0) next.subsets = subsets;
    else delete next.subsets;
    const labels = labelsFor(service, serviceLabels);
    if (Object.keys(labels).length > 0) next.metadata.labels = labels;
    else delete next.metadata.labels;
    setAnnotation(next, TRIGGER_TIME_ANNOTATION, triggerTime);
    setAnnotation(next, OVER_CAPACITY_ANNOTATION, truncated ? 'truncated' : undefined);

    try {
      const written =
        current === undefined
          ? await this.opts.registry.create(this.#type, namespace, next, {})
          : await this.opts.registry.update(this.#type, namespace, name, next, {});
      this.#endpoints.remember(written);
    } catch (err) {
      // A namespace being deleted takes no new objects; its deletion takes the service too.
      if (current === undefined && namespaceClosed(err)) return;
      const why = messageOf(err);
      const involved = { apiVersion: 'v1', kind: 'Endpoints', metadata: next.metadata };
      if (current === undefined) this.#events.record(involved, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${key}: ${why}`);
      else this.#events.record(involved, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${key}: ${why}`);
      throw err;
    }
  }

  /** Resolves once every change seen so far has been reconciled (tests). */
  settled(): Promise<void> {
    return this.#queue.drained();
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }
}

/** One subset per port the pod serves (one without ports for a headless service that has none), before repacking. */
function podSubsets(service: ServiceObject, pod: PodObject): EndpointSubset[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  if (!shouldPodBeInEndpoints(pod, publishNotReady)) return [];
  const address = addressFor(service, pod);
  if (address === undefined) return [];
  const ready = publishNotReady || isPodReady(pod);
  const subset = (ports: EndpointPort[]): EndpointSubset => ({ [ready ? 'addresses' : 'notReadyAddresses']: [address], ...(ports.length > 0 ? { ports } : {}) });
  const servicePorts = service.spec?.ports ?? [];
  // Headless services may have no ports.
  if (servicePorts.length === 0) return service.spec?.clusterIP === 'None' ? [subset([])] : [];
  return servicePorts.flatMap((servicePort) => {
    const port = findPort(pod, servicePort);
    if (port === undefined) return [];
    return [subset([{ ...(servicePort.name ? { name: servicePort.name } : {}), port, protocol: servicePort.protocol!, ...(servicePort.appProtocol ? { appProtocol: servicePort.appProtocol } : {}) }])];
  });
}

/** The pod's address in the service's (first) IP family, or undefined when the pod has none in it. */
function addressFor(service: ServiceObject, pod: PodObject): EndpointAddress | undefined {
  const clusterIP = service.spec?.clusterIP;
  const family =
    service.spec?.ipFamilies?.[0] ?? (clusterIP && clusterIP !== 'None' ? familyOf(clusterIP) : familyOf(pod.status?.podIP ?? ''));
  const ip = podIPs(pod).find((candidate) => familyOf(candidate) === family);
  if (ip === undefined) return undefined;
  const hostname = hostnameFor(pod, service);
  const nodeName = pod.spec?.nodeName;
  return { ip, ...(hostname !== undefined ? { hostname } : {}), ...(nodeName ? { nodeName } : {}), targetRef: podRef(pod) };
}

/**
 * RepackSubsets: the canonical layout, so equal contents compare equal —
 * addresses that serve the same ports with the same readiness share one
 * subset; an address not ready on one port is not ready on all of them.
 */
function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  // Port ("" for none) → address → ready.
  const byPort = new Map<string, { port: EndpointPort | undefined; ready: Map<string, boolean> }>();
  for (const subset of subsets) {
    const ports = (subset.ports ?? []).length > 0 ? subset.ports! : [undefined];
    for (const port of ports) {
      const portKey = port === undefined ? '' : JSON.stringify([port.name ?? '', port.port, port.protocol ?? '', port.appProtocol ?? '']);
      const entry = byPort.get(portKey) ?? { port, ready: new Map<string, boolean>() };
      byPort.set(portKey, entry);
      for (const [list, ready] of [[subset.addresses ?? [], true], [subset.notReadyAddresses ?? [], false]] as const) {
        for (const address of list) {
          const addressKey = `${address.ip}\u0000${address.targetRef?.uid ?? ''}`;
          if (!addresses.has(addressKey)) addresses.set(addressKey, address);
          if (entry.ready.get(addressKey) !== false) entry.ready.set(addressKey, ready);
        }
      }
    }
  }
  const groups = new Map<string, { ports: EndpointPort[]; ready: Map<string, boolean> }>();
  for (const { port, ready } of byPort.values()) {
    const groupKey = JSON.stringify([...ready].sort(([a], [b]) => compare(a, b)));
    const group = groups.get(groupKey) ?? { ports: [], ready };
    groups.set(groupKey, group);
    if (port !== undefined) group.ports.push(port);
  }
  const repacked = [...groups.values()].map(({ ports, ready }) => {
    const sorted = [...ready].sort(([a], [b]) => compare(a, b));
    const readyAddresses = sorted.filter(([, r]) => r).map(([k]) => addresses.get(k)!);
    const notReady = sorted.filter(([, r]) => !r).map(([k]) => addresses.get(k)!);
    ports.sort((a, b) => a.port - b.port || compare(a.name ?? '', b.name ?? '') || compare(a.protocol ?? '', b.protocol ?? ''));
    const subset: EndpointSubset = {};
    if (readyAddresses.length > 0) subset.addresses = readyAddresses;
    if (notReady.length > 0) subset.notReadyAddresses = notReady;
    if (ports.length > 0) subset.ports = ports;
    return subset;
  });
  return repacked.sort((a, b) => compare(JSON.stringify(a), JSON.stringify(b)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * truncateEndpoints: beyond MAX_CAPACITY addresses, not-ready ones go first;
 * each subset keeps its share (rounded up) of what remains. True when it cut.
 */
function truncate(subsets: EndpointSubset[]): boolean {
  const totalReady = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const totalNotReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
  if (totalReady + totalNotReady <= MAX_CAPACITY) return false;
  const cutReady = totalReady > MAX_CAPACITY;
  const room = cutReady ? MAX_CAPACITY : MAX_CAPACITY - totalReady;
  const total = cutReady ? totalReady : totalNotReady;
  let left = room;
  for (const subset of subsets) {
    const field = cutReady ? 'addresses' : 'notReadyAddresses';
    const list = subset[field] ?? [];
    const kept = list.slice(0, Math.min(Math.ceil((list.length / total) * room), left));
    left -= kept.length;
    if (kept.length > 0) subset[field] = kept;
    else delete subset[field];
    if (cutReady) delete subset.notReadyAddresses;
  }
  return true;
}
