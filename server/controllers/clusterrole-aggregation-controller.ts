// Aggregated ClusterRoles (upstream's clusterrole-aggregation controller): a
// ClusterRole with an aggregationRule holds the rules of every other
// ClusterRole one of its clusterRoleSelectors selects, selector by selector
// and, within one, role by role in name order, each rule once. That is how
// admin, edit and view grow when a chart adds a role labelled
// rbac.authorization.k8s.io/aggregate-to-edit: "true". A role's rules are
// written only when they differ from that union.
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import type { Catalogue } from '../api/catalogue.js';
import { semanticEqual } from '../api/kinds/equality.js';
import type { ClusterRoleObject } from '../api/auth/rbac/default-policy.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { labelSelectorFromObject, type LabelSelector, SelectorError } from '../api/selectors.js';
import { ApiError } from '../api/status.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';

export interface ClusterRoleAggregationOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

export class ClusterRoleAggregationController {
  readonly #roles: SharedInformer;
  readonly #type: ResourceType;
  readonly #queue: WorkQueue;

  private constructor(private readonly opts: ClusterRoleAggregationOptions) {
    this.#type = opts.catalogue.get('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
    this.#queue = new WorkQueue(
      (name) => this.reconcile(name),
      (name, err, retryInMs) => opts.log.warn('could not aggregate a ClusterRole', { clusterRole: name, error: err, retryInMs }),
    );
    this.#roles = opts.informers.of('rbac.authorization.k8s.io', 'v1', 'clusterroles');
    // Which aggregated roles a change touches depends on the labels the role
    // had before too: as upstream, every aggregated role is looked at again
    // (there are few, and one that did not change writes nothing).
    this.#roles.subscribe(() => {
      for (const role of this.#roles.values()) if (role['aggregationRule'] != null) this.#queue.add(role.metadata.name!);
    });
  }

  static async start(opts: ClusterRoleAggregationOptions): Promise<ClusterRoleAggregationController> {
    const controller = new ClusterRoleAggregationController(opts);
    await controller.#roles.start();
    return controller;
  }

  async reconcile(name: string): Promise<void> {
    const role = this.#roles.get(name) as ClusterRoleObject | undefined;
    const selectors = role?.aggregationRule?.clusterRoleSelectors;
    if (role === undefined || selectors == null) return;
    let parsed: LabelSelector[];
    try {
      parsed = selectors.map((s) => labelSelectorFromObject(s));
    } catch (err) {
      // A stored selector that does not parse stays wrong until someone edits the role, which brings it back here.
      if (err instanceof SelectorError) return this.opts.log.warn('ClusterRole has an invalid aggregation selector', { clusterRole: name, error: err.message });
      throw err;
    }
    const rules = this.#union(name, parsed);
    if (semanticEqual(rules, role.rules)) return;
    try {
      // With the resourceVersion read: a newer role brings this key back.
      const written = await this.opts.registry.update(this.#type, undefined, name, { ...role, rules }, {});
      this.#roles.remember(written);
      this.opts.log.debug('aggregated ClusterRole rules', { clusterRole: name, rules: rules.length });
    } catch (err) {
      if (err instanceof ApiError && (err.reason === 'Conflict' || err.reason === 'NotFound')) return;
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

  /** The rules of the other roles the selectors pick, in upstream's order, each once. */
  #union(self: string, selectors: readonly LabelSelector[]): PolicyRule[] {
    const all = [...this.#roles.values()] as ClusterRoleObject[];
    const rules: PolicyRule[] = [];
    for (const selector of selectors) {
      const picked = all.filter((r) => r.metadata.name !== self && selector.matches(r.metadata.labels)).sort((a, b) => compareNames(a.metadata.name!, b.metadata.name!));
      for (const rule of picked.flatMap((r) => r.rules ?? [])) if (!rules.some((had) => semanticEqual(had, rule))) rules.push(rule);
    }
    return rules;
  }
}

/** Go's string order (byte-wise), which upstream sorts names in. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
