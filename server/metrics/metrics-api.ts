// metrics.k8s.io/v1beta1 as metrics-server serves it through aggregation:
// `nodes` (NodeMetrics) and `pods` (PodMetrics), get and list only, with
// label and field selectors (metadata.name, metadata.namespace), per
// namespace or across all. Read from the in-memory MetricsStore and the
// shared caches of nodes and pods: only Running pods with a sample appear.
// Authorization happens before, as for every resource.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { HttpAnswer } from '../api/http-answer.js';
import { jsonAnswer } from '../api/http-answer.js';
import { responseForm } from '../api/http/negotiate.js';
import type { KubeObject } from '../api/objects.js';
import type { ResourceRequest } from '../api/request-info.js';
import type { ResourceType } from '../api/resources.js';
import { type FieldSelector, type LabelSelector, parseFieldSelector, parseLabelSelector, SelectorError } from '../api/selectors.js';
import { errors } from '../api/status.js';
import type { SharedInformer } from '../controllers/shared-informers.js';
import { listOf, METRICS_GROUP, METRICS_VERSION, metricsTable, type NodeMetrics, nodeMetrics, type PodMetrics, podMetrics } from './metrics-objects.js';
import type { MetricsStore } from './metrics-store.js';

const metricsType = (kind: 'NodeMetrics' | 'PodMetrics', plural: 'nodes' | 'pods', namespaced: boolean): ResourceType => ({
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  kind,
  listKind: `${kind}List`,
  plural,
  // metrics-server names no singular.
  singular: '',
  namespaced,
  shortNames: [],
  categories: [],
  verbs: ['get', 'list'],
  subresources: [],
});

/** What discovery lists for the group (the API server adds them to its catalogue). */
export const METRICS_RESOURCES: readonly ResourceType[] = [metricsType('NodeMetrics', 'nodes', false), metricsType('PodMetrics', 'pods', true)];

export interface MetricsApiOptions {
  readonly store: MetricsStore;
  readonly pods: SharedInformer;
  readonly nodes: SharedInformer;
  readonly now?: () => Date;
}

export class MetricsApi {
  constructor(private readonly opts: MetricsApiOptions) {}

  /** Answers one request to metrics.k8s.io (already authorized). */
  answer(info: ResourceRequest, query: URLSearchParams, accept: string | undefined): HttpAnswer {
    if (info.version !== METRICS_VERSION || (info.resource !== 'pods' && info.resource !== 'nodes') || info.subresource !== undefined) throw errors.notFoundPath();
    const namespaced = info.resource === 'pods';
    if (!namespaced && info.namespace !== undefined) throw errors.notFoundPath();
    if (namespaced && info.name !== undefined && info.namespace === undefined) throw errors.notFoundPath();
    if (info.verb !== 'get' && info.verb !== 'list') throw errors.methodNotAllowed(info.verb.toUpperCase());
    const form = responseForm(accept);
    if (form === undefined) throw errors.notAcceptable(accept ?? '');
    const now = (this.opts.now ?? (() => new Date()))();
    let items: (PodMetrics | NodeMetrics)[];
    if (info.verb === 'get') items = [namespaced ? this.#getPod(info.namespace!, info.name!, now) : this.#getNode(info.name!, now)];
    else {
      const { label, field } = selectorsOf(query);
      items = namespaced ? this.#listPods(info.namespace, label, field, now) : this.#listNodes(label, field, now);
    }
    if (form.kind === 'table') {
      return {
        status: 200,
        headers: { 'Content-Type': `application/json;as=Table;v=${form.version};g=meta.k8s.io` },
        body: JSON.stringify({ kind: 'Table', apiVersion: `meta.k8s.io/${form.version}`, metadata: {}, ...withObjects(metricsTable(items), query.get('includeObject')) }),
      };
    }
    if (info.verb === 'get') return jsonAnswer(200, items[0]);
    return jsonAnswer(200, listOf(namespaced ? 'PodMetricsList' : 'NodeMetricsList', items));
  }

  #getPod(namespace: string, name: string, now: Date): PodMetrics {
    const pod = this.opts.pods.get(`${namespace}/${name}`);
    // As metrics-server: the pod lister's NotFound, then its own for a pod without metrics.
    if (pod === undefined) throw errors.notFound({ group: '', plural: 'pod', kind: 'Pod' }, name);
    const metrics = this.#podMetrics(pod, now);
    if (metrics === undefined) throw errors.notFound({ group: METRICS_GROUP, plural: 'podmetrics', kind: 'PodMetrics' }, `${namespace}/${name}`);
    return metrics;
  }

  #getNode(name: string, now: Date): NodeMetrics {
    const node = this.opts.nodes.get(name);
    if (node === undefined) throw errors.notFound({ group: '', plural: 'node', kind: 'Node' }, name);
    const sample = this.opts.store.node(name);
    if (sample === undefined) throw errors.notFound({ group: METRICS_GROUP, plural: 'nodemetrics', kind: 'NodeMetrics' }, name);
    return nodeMetrics(node, sample, now);
  }

  #listPods(namespace: string | undefined, label: LabelSelector | undefined, field: FieldSelector | undefined, now: Date): PodMetrics[] {
    const items: PodMetrics[] = [];
    for (const pod of this.opts.pods.values()) {
      const meta = pod.metadata;
      if (namespace !== undefined && meta.namespace !== namespace) continue;
      if (label !== undefined && !label.matches(meta.labels)) continue;
      if (field !== undefined && !field.matches({ 'metadata.name': meta.name ?? '', 'metadata.namespace': meta.namespace ?? '' })) continue;
      const metrics = this.#podMetrics(pod, now);
      if (metrics !== undefined) items.push(metrics);
    }
    return items.sort((a, b) => compare(a.metadata.namespace!, b.metadata.namespace!) || compare(a.metadata.name, b.metadata.name));
  }

  #listNodes(label: LabelSelector | undefined, field: FieldSelector | undefined, now: Date): NodeMetrics[] {
    const items: NodeMetrics[] = [];
    for (const node of this.opts.nodes.values()) {
      const name = node.metadata.name!;
      if (label !== undefined && !label.matches(node.metadata.labels)) continue;
      if (field !== undefined && !field.matches({ 'metadata.name': name })) continue;
      const sample = this.opts.store.node(name);
      if (sample !== undefined) items.push(nodeMetrics(node, sample, now));
    }
    return items.sort((a, b) => compare(a.metadata.name, b.metadata.name));
  }

  /** Only a Running pod with a sample of its own incarnation has metrics. */
  #podMetrics(pod: KubeObject, now: Date): PodMetrics | undefined {
    if ((pod as Pod).status?.phase !== 'Running') return undefined;
    const sample = this.opts.store.pod(pod.metadata.namespace!, pod.metadata.name!);
    return sample === undefined || sample.uid !== pod.metadata.uid ? undefined : podMetrics(pod, sample, now);
  }
}

function selectorsOf(query: URLSearchParams): { label?: LabelSelector; field?: FieldSelector } {
  try {
    const label = query.get('labelSelector');
    const field = query.get('fieldSelector');
    return { ...(label ? { label: parseLabelSelector(label) } : {}), ...(field ? { field: parseFieldSelector(field) } : {}) };
  } catch (err) {
    if (err instanceof SelectorError) throw errors.badRequest(err.message);
    throw err;
  }
}

function withObjects(table: ReturnType<typeof metricsTable>, includeObject: string | null): ReturnType<typeof metricsTable> {
  const mode = includeObject === 'None' || includeObject === 'Object' ? includeObject : 'Metadata';
  return {
    ...table,
    rows: table.rows.map((row) => {
      const object = row.object as PodMetrics | NodeMetrics;
      if (mode === 'Object') return row;
      if (mode === 'None') return { cells: row.cells };
      return { cells: row.cells, object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata } };
    }),
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
