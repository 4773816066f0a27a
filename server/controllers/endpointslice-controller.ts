// EndpointSlices for services with a selector, as upstream's EndpointSlice
// controller keeps them (pkg/controller/endpointslice with the reconciler of
// k8s.io/endpointslice): slices named <service>-<random>, labelled with the
// service's name and this controller, owned by the service, one group of
// slices per address type and set of resolved ports, at most 100 endpoints a
// slice; each endpoint a pod with its addresses, ready/serving/terminating
// conditions, node, zone and targetRef. A reconcile changes as few slices as
// it can: endpoints that did not change stay where they are, new ones fill
// slices already being written before new slices are made, and a service
// with no endpoints keeps one empty placeholder slice.
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
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
  familyOf,
  findPort,
  hostnameFor,
  type IPFamily,
  isServiceIPSet,
  HEADLESS_LABEL,
  labelsFor,
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

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** Upstream's default --max-endpoints-per-slice. */
const MAX_ENDPOINTS_PER_SLICE = 100;
const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** What the tracker holds for a slice this controller deleted and whose deletion the watch has not brought yet. */
const DELETED = '';

type Slice = KubeObject & EndpointSlice;

/** The slices of one address type and one set of ports. */
interface SliceMeta {
  readonly addressType: IPFamily;
  readonly ports: EndpointPort[];
}

interface Changes {
  create: Slice[];
  update: Slice[];
  delete: Slice[];
}

export interface EndpointSliceControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

export class EndpointSliceController {
  readonly #index: ServicePods;
  readonly #slices: SharedInformer;
  readonly #nodes: SharedInformer;
  readonly #queue: WorkQueue;
  readonly #type: ResourceType;
  readonly #events: EventRecorder;
  readonly #triggers = new TriggerTimeTracker();
  /** Service key → keys of the slices this controller manages for it (by their service-name label). */
  readonly #slicesOf = new Map<string, Set<string>>();
  readonly #serviceOf = new Map<string, string>();
  /**
   * Slice key → the resourceVersion this controller last wrote (DELETED once
   * it deleted it), as upstream's EndpointSliceTracker: a slice seen in any
   * other state was changed by someone else and its service is reconciled.
   */
  readonly #written = new Map<string, string>();
  #following = false;

  private constructor(private readonly opts: EndpointSliceControllerOptions) {
    this.#type = opts.catalogue.get('discovery.k8s.io', 'v1', 'endpointslices')!;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'endpoint-slice-controller', opts.log);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('endpointslice reconcile failed', { service: key, error: err, retryInMs }),
    );
    this.#index = new ServicePods(opts.informers);
    this.#slices = opts.informers.of('discovery.k8s.io', 'v1', 'endpointslices');
    this.#nodes = opts.informers.of('', 'v1', 'nodes');
  }

  static async start(opts: EndpointSliceControllerOptions): Promise<EndpointSliceController> {
    const controller = new EndpointSliceController(opts);
    // Every cache full before the first reconcile, so no slice is written from half the picture.
    await Promise.all([controller.#index.start(), controller.#slices.start(), controller.#nodes.start()]);
    // A reconcile starts as soon as a key is queued, so the slices are indexed first, without queueing:
    // following the services then queues every one of them.
    controller.#slices.subscribe((key) => controller.#sliceChanged(key));
    controller.#following = true;
    controller.#index.follow((key) => controller.#queue.add(key));
    return controller;
  }

  async reconcile(key: string): Promise<void> {
    const service = this.#index.service(key);
    if (service === undefined) {
      // Its slices go with it: the garbage collector deletes what the service owned.
      this.#triggers.delete(key);
      return;
    }
    const selector = selectorOf(service);
    if (selector === undefined) return;
    const pods = this.#index.podsOf(service, selector);
    const triggerTime = this.#triggers.compute(key, service, pods);
    try {
      await this.#reconcileService(service, pods, this.#managedSlices(key), triggerTime);
    } catch (err) {
      const why = messageOf(err);
      this.#events.record({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata }, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${why}`);
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

  /** The slices managed for the service, without those being deleted (by anyone). */
  #managedSlices(serviceKey: string): Slice[] {
    return [...(this.#slicesOf.get(serviceKey) ?? [])].flatMap((key) => {
      const slice = this.#slices.get(key) as Slice | undefined;
      return slice === undefined || slice.metadata.deletionTimestamp !== undefined || this.#written.get(key) === DELETED ? [] : [slice];
    });
  }

  /** Indexes the slice by its service; a change someone else made (or a slice that changed hands) has its services reconciled. */
  #sliceChanged(key: string): void {
    const slice = this.#slices.get(key) as Slice | undefined;
    const before = this.#serviceOf.get(key);
    const labels = slice?.metadata.labels ?? {};
    const serviceName = labels[SERVICE_NAME_LABEL];
    const now = labels[MANAGED_BY_LABEL] === CONTROLLER_NAME && serviceName ? `${namespaceOf(key)}/${serviceName}` : undefined;
    if (before !== undefined && before !== now) {
      const keys = this.#slicesOf.get(before)!;
      keys.delete(key);
      if (keys.size === 0) this.#slicesOf.delete(before);
      this.#serviceOf.delete(key);
    }
    if (now !== undefined && before !== now) {
      this.#slicesOf.set(now, (this.#slicesOf.get(now) ?? new Set()).add(key));
      this.#serviceOf.set(key, now);
    }
    const written = this.#written.get(key);
    if (slice === undefined) this.#written.delete(key);
    // Our own writes (and deletions) coming back change nothing.
    const ours = slice === undefined ? written === DELETED : written === slice.metadata.resourceVersion;
    if (ours || !this.#following) return;
    if (before !== undefined) this.#queue.add(before);
    if (now !== undefined && now !== before) this.#queue.add(now);
  }

  async #reconcileService(service: ServiceObject, pods: readonly PodObject[], slices: readonly Slice[], triggerTime: string | undefined): Promise<void> {
    const addressTypes = addressTypesOf(service);
    const errors: unknown[] = [];
    for (const addressType of addressTypes) {
      try {
        const ofType = slices.filter((s) => s.addressType === addressType);
        await this.#finish(service, this.#changesFor(service, pods, ofType, addressType, errors), triggerTime);
      } catch (err) {
        errors.push(err);
      }
    }
    // Slices of an address type the service no longer has.
    const stale = slices.filter((s) => !addressTypes.has(s.addressType as IPFamily));
    if (stale.length > 0) await this.#finish(service, { create: [], update: [], delete: stale }, triggerTime);
    if (errors.length > 0) throw errors[0];
  }

  /** reconcileByAddressType: what to create, update and delete for the slices of one address type. */
  #changesFor(service: ServiceObject, pods: readonly PodObject[], existing: readonly Slice[], addressType: IPFamily, errors: unknown[]): Changes {
    const changes: Changes = { create: [], update: [], delete: [] };
    const existingByPorts = new Map<string, Slice[]>();
    for (const slice of existing) {
      if (!ownedBy(slice, service)) {
        // Left by an earlier service of the same name.
        changes.delete.push(slice);
        continue;
      }
      const key = portsKey(slice.ports ?? []);
      existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), slice]);
    }
    const desired = new Map<string, { meta: SliceMeta; endpoints: Map<string, Endpoint> }>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ports = endpointPorts(service, pod);
      const key = portsKey(ports);
      const group = desired.get(key) ?? { meta: { addressType, ports }, endpoints: new Map<string, Endpoint>() };
      desired.set(key, group);
      const node = this.#nodes.get(pod.spec?.nodeName ?? '') as (KubeObject & Node) | undefined;
      // A pod on a node that does not exist is left out, and the service tried again, unless its user wants every address.
      if (node === undefined && service.spec?.publishNotReadyAddresses !== true) {
        errors.push(new Error(`skipping Pod ${pod.metadata.name} for Service ${keyOf(service)}: Node ${pod.spec?.nodeName ?? ''} Not Found`));
        continue;
      }
      const endpoint = podToEndpoint(pod, node, service, addressType);
      if (endpoint.addresses.length > 0) group.endpoints.set(endpointKey(endpoint), endpoint);
    }
    for (const [key, { meta, endpoints }] of desired) {
      const byPorts = this.#changesForPorts(service, existingByPorts.get(key) ?? [], endpoints, meta);
      changes.create.push(...byPorts.create);
      changes.update.push(...byPorts.update);
      changes.delete.push(...byPorts.delete);
    }
    for (const [key, slices] of existingByPorts) if (!desired.has(key)) changes.delete.push(...slices);
    // A service with no endpoints keeps one empty slice, so readers can tell "none" from "not yet".
    if (existing.length === changes.delete.length && changes.create.length === 0) {
      const placeholder = newSlice(service, { addressType, ports: [] });
      if (changes.delete.length === 1 && samePlaceholder(changes.delete[0]!, placeholder)) changes.delete = [];
      else changes.create.push(placeholder);
    }
    return changes;
  }

  /** reconcileByPortMapping: keeps unchanged endpoints in place and fills slices being written before making new ones. */
  #changesForPorts(service: ServiceObject, existing: readonly Slice[], desired: Map<string, Endpoint>, meta: SliceMeta): Changes {
    const byName = new Map<string, Slice>();
    const unchanged = new Set<string>();
    const toUpdate = new Set<string>();
    const toDelete = new Set<string>();
    // 1. Drop the endpoints no longer desired, refresh the ones that changed.
    for (const slice of existing) {
      const name = slice.metadata.name!;
      byName.set(name, slice);
      const kept: Endpoint[] = [];
      let changed = false;
      for (const endpoint of slice.endpoints ?? []) {
        const key = endpointKey(endpoint);
        const want = desired.get(key);
        if (want === undefined) continue;
        kept.push(want);
        if (!sameBeyondKey(want, endpoint)) changed = true;
        desired.delete(key);
      }
      const { labels, changed: labelsChanged } = sliceLabels(slice, service);
      const endpointsChanged = changed || kept.length !== (slice.endpoints ?? []).length;
      if (endpointsChanged && kept.length === 0) {
        toDelete.add(name);
      } else if (endpointsChanged || labelsChanged) {
        const copy = editable(slice);
        if (endpointsChanged) copy.endpoints = kept;
        copy.metadata.labels = labels;
        byName.set(name, copy);
        toUpdate.add(name);
      } else {
        unchanged.add(name);
      }
    }
    const pop = (slice: Slice) => {
      for (const [key, endpoint] of desired) {
        if (slice.endpoints.length >= MAX_ENDPOINTS_PER_SLICE) return;
        slice.endpoints.push(endpoint);
        desired.delete(key);
      }
    };
    // 2. Fill the slices being updated anyway, fullest first.
    if (desired.size > 0 && toUpdate.size > 0) {
      const filling = [...toUpdate].map((name) => byName.get(name)!).sort((a, b) => b.endpoints.length - a.endpoints.length);
      for (const slice of filling) pop(slice);
    }
    // 3. What is left fits in the unchanged slice it fills best, or in new slices.
    const create: Slice[] = [];
    while (desired.size > 0) {
      let slice: Slice | undefined;
      if (desired.size < MAX_ENDPOINTS_PER_SLICE && unchanged.size > 0) {
        slice = sliceToFill([...unchanged].map((name) => byName.get(name)!), desired.size);
      }
      if (slice === undefined) slice = newSlice(service, meta);
      else {
        slice = editable(slice);
        byName.set(slice.metadata.name!, slice);
      }
      pop(slice);
      if (slice.metadata.name !== undefined) {
        toUpdate.add(slice.metadata.name);
        unchanged.delete(slice.metadata.name);
      } else {
        create.push(slice);
      }
    }
    return { create, update: [...toUpdate].map((name) => byName.get(name)!), delete: [...toDelete].map((name) => byName.get(name)!) };
  }

  /** finalize: creates turn into updates of slices that would be deleted; nothing is created for a service being deleted. */
  async #finish(service: ServiceObject, changes: Changes, triggerTime: string | undefined): Promise<void> {
    const namespace = service.metadata.namespace!;
    const key = keyOf(service);
    const { create, update } = changes;
    const remove = [...changes.delete];
    for (let i = 0; i < remove.length && create.length > 0; ) {
      const old = remove[i]!;
      const slice = create[create.length - 1]!;
      // Never a slice of an older service of the same name: the garbage collector may be deleting it.
      if (old.addressType === slice.addressType && ownedBy(old, service)) {
        slice.metadata.name = old.metadata.name!;
        create.pop();
        update.push(slice);
        remove.splice(i, 1);
      } else {
        i++;
      }
    }
    if (service.metadata.deletionTimestamp === undefined) {
      for (const slice of create) {
        setAnnotation(slice, TRIGGER_TIME_ANNOTATION, triggerTime);
        try {
          this.#wrote(await this.opts.registry.create(this.#type, namespace, stored(slice), {}));
        } catch (err) {
          if (namespaceClosed(err)) return;
          throw new Error(`failed to create EndpointSlice for Service ${key}: ${messageOf(err)}`);
        }
      }
    }
    for (const slice of update) {
      setAnnotation(slice, TRIGGER_TIME_ANNOTATION, triggerTime);
      try {
        this.#wrote(await this.opts.registry.update(this.#type, namespace, slice.metadata.name!, stored(slice), {}));
      } catch (err) {
        throw new Error(`failed to update ${slice.metadata.name} EndpointSlice for Service ${key}: ${messageOf(err)}`);
      }
    }
    for (const slice of remove) {
      try {
        await this.opts.registry.delete(this.#type, namespace, slice.metadata.name!, {});
      } catch (err) {
        if (!isGone(err)) throw err;
      }
      this.#written.set(keyOf(slice), DELETED);
    }
  }

  #wrote(slice: KubeObject): void {
    this.#written.set(keyOf(slice), slice.metadata.resourceVersion!);
    this.#slices.remember(slice);
  }
}

/** getAddressTypesForService: the service's IP families (both for a headless one that names none). */
function addressTypesOf(service: ServiceObject): Set<IPFamily> {
  const families = (service.spec?.ipFamilies ?? []).filter((f): f is IPFamily => f === 'IPv4' || f === 'IPv6');
  if (families.length > 0) return new Set(families);
  return isServiceIPSet(service) ? new Set([familyOf(service.spec!.clusterIP!)]) : new Set(['IPv4', 'IPv6']);
}

function endpointPorts(service: ServiceObject, pod: PodObject): EndpointPort[] {
  return (service.spec?.ports ?? []).flatMap((servicePort) => {
    const port = findPort(pod, servicePort);
    if (port === undefined) return [];
    return [{ name: servicePort.name ?? '', port, protocol: servicePort.protocol!, ...(servicePort.appProtocol ? { appProtocol: servicePort.appProtocol } : {}) }];
  });
}

function podToEndpoint(pod: PodObject, node: Node | undefined, service: ServiceObject, addressType: IPFamily): Endpoint {
  const serving = isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  // A terminating pod is never "ready", unless its service publishes addresses not ready.
  const ready = service.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const hostname = hostnameFor(pod, service);
  const nodeName = pod.spec?.nodeName;
  const zone = node?.metadata?.labels?.[ZONE_LABEL];
  return {
    addresses: podIPs(pod).filter((ip) => familyOf(ip) === addressType),
    conditions: { ready, serving, terminating },
    ...(hostname !== undefined ? { hostname } : {}),
    targetRef: podRef(pod),
    ...(nodeName ? { nodeName } : {}),
    ...(zone ? { zone } : {}),
  };
}

/** An endpoint's identity across syncs: its addresses, hostname and pod. */
function endpointKey(endpoint: Endpoint): string {
  return JSON.stringify([[...endpoint.addresses].sort(), endpoint.hostname ?? '', endpoint.targetRef?.namespace ?? '', endpoint.targetRef?.name ?? '']);
}

/** EndpointsEqualBeyondHash: what the key leaves out (conditions, node, zone, the pod's uid). */
function sameBeyondKey(a: Endpoint, b: Endpoint): boolean {
  const { resourceVersion: _a, ...refA } = a.targetRef ?? {};
  const { resourceVersion: _b, ...refB } = b.targetRef ?? {};
  return a.nodeName === b.nodeName && a.zone === b.zone && semanticEqual(a.conditions, b.conditions) && semanticEqual(refA, refB);
}

/** The same ports in any order are one group. */
function portsKey(ports: readonly EndpointPort[]): string {
  return JSON.stringify(ports.map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? '', p.appProtocol ?? '']).sort());
}

function ownedBy(slice: Slice, service: ServiceObject): boolean {
  return (slice.metadata.ownerReferences ?? []).some((o) => o.uid === service.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

/** setEndpointSliceLabels: the service's labels but the reserved ones, which this controller sets; changed when the copied ones differ. */
function sliceLabels(slice: Slice | undefined, service: ServiceObject): { labels: Record<string, string>; changed: boolean } {
  const reserved = new Set([SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL]);
  const unreserved = (labels: Record<string, string> | undefined) => Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !reserved.has(k)));
  const fromService = unreserved(service.metadata.labels);
  const changed = !semanticEqual(unreserved(slice?.metadata.labels), fromService);
  const labels = { ...labelsFor(service, fromService), [SERVICE_NAME_LABEL]: service.metadata.name!, [MANAGED_BY_LABEL]: CONTROLLER_NAME };
  return { labels, changed };
}

function newSlice(service: ServiceObject, meta: SliceMeta): Slice {
  const { name, namespace, uid } = service.metadata;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${name}-`,
      namespace: namespace!,
      labels: sliceLabels(undefined, service).labels,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: name!, uid: uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: meta.addressType,
    endpoints: [],
    ports: meta.ports,
  };
}

/** Whether an existing slice is the placeholder that would be made again (compared as upstream: namespace, labels, owners, contents). */
function samePlaceholder(slice: Slice, placeholder: Slice): boolean {
  return (
    slice.metadata.namespace === placeholder.metadata.namespace &&
    semanticEqual(slice.metadata.labels ?? {}, placeholder.metadata.labels) &&
    semanticEqual(slice.metadata.ownerReferences, placeholder.metadata.ownerReferences) &&
    slice.addressType === placeholder.addressType &&
    semanticEqual(slice.endpoints, placeholder.endpoints) &&
    semanticEqual(slice.ports, placeholder.ports)
  );
}

/** getSliceToFill: the slice closest to full once `count` endpoints are added, if one has room. */
function sliceToFill(slices: readonly Slice[], count: number): Slice | undefined {
  let best: Slice | undefined;
  let closest = MAX_ENDPOINTS_PER_SLICE;
  for (const slice of slices) {
    const diff = MAX_ENDPOINTS_PER_SLICE - (count + (slice.endpoints ?? []).length);
    if (diff >= 0 && diff < closest) {
      closest = diff;
      best = slice;
      if (diff === 0) break;
    }
  }
  return best;
}

/** A copy of a cached slice to change (its endpoints a list, even when stored as null). */
function editable(slice: Slice): Slice {
  const copy = structuredClone(slice);
  copy.endpoints ??= [];
  return copy;
}

/** A slice as upstream stores it: empty lists read back as null. */
function stored(slice: Slice): KubeObject {
  const nullIfEmpty = <T>(list: T[] | undefined): T[] | null => ((list ?? []).length > 0 ? list! : null);
  return { ...slice, endpoints: nullIfEmpty(slice.endpoints), ports: nullIfEmpty(slice.ports) };
}
