// Upstream's ResourceQuota admission plugin (plugin/pkg/admission/resourcequota
// over apiserver's admission/plugin/resourcequota/controller.go, 1.31), the
// last validating plugin kube-apiserver runs by default. A create (or an
// update that can change usage: services, claims) in a namespace with
// quotas is measured, checked against every quota that matches it (403s
// worded as upstream's), and the quotas' new status.used written with the
// resourceVersion they were read at before the object is stored: two
// writes racing for the last unit cannot both get it. Writes in one
// namespace are checked one after another, as upstream's evaluator works
// through a namespace's queue, so they meet no conflict of their own; a
// conflict with another writer (the quota controller) re-reads the quotas
// that failed and checks them again, three times at most. Dry runs are
// checked and charge nothing. Quotas are read from the store on each write
// (upstream keeps them in a cache and falls back to live reads).
import type { Store } from '../../store/types.js';
import type { KubeObject } from '../objects.js';
import { type KindRules, prefixOf, type Registry } from '../registry/registry.js';
import { decodeObject } from '../registry/stored-object.js';
import type { ResourceType } from '../resources.js';
import { ApiError, errors } from '../status.js';
import { type Evaluator, evaluatorFor, type Quota, quotaMatches } from './evaluators.js';
import { equal, exceeding, listOf, mask, negatives, prettyPrint, removeZeros, subtractNonNegative, sum, type Usage, usageOf } from './usage-lists.js';

const RETRIES = 3;

export interface QuotaAdmissionOptions {
  readonly store: Store;
  /** The ResourceQuota type. */
  readonly quotas: ResourceType;
  /** Where the quotas' status is written; the registry these rules are for, so given late. */
  readonly registry: () => Registry;
}

/** Adds ResourceQuota admission to every namespaced kind quota can count. */
export function withResourceQuota(rules: (type: ResourceType) => KindRules, opts: QuotaAdmissionOptions): (type: ResourceType) => KindRules {
  const admission = new QuotaAdmission(opts);
  return (type) => {
    const base = rules(type);
    const evaluator = type.namespaced ? evaluatorFor(type.group, type.plural) : undefined;
    if (evaluator === undefined) return base;
    return {
      ...base,
      validateAdmission: async (obj, old, request) => {
        await base.validateAdmission?.(obj, old, request);
        if (old === undefined || evaluator.tracksUpdates) await admission.admit(type, evaluator, obj, old, request.dryRun);
      },
    };
  };
}

class QuotaAdmission {
  /** Per namespace, the check under way: the next one waits for it. */
  readonly #busy = new Map<string, Promise<void>>();

  constructor(private readonly opts: QuotaAdmissionOptions) {}

  async admit(type: ResourceType, evaluator: Evaluator, obj: KubeObject, old: KubeObject | undefined, dryRun: boolean): Promise<void> {
    const namespace = obj.metadata.namespace!;
    // Most namespaces have no quota: their writes need not wait in line (a quota created meanwhile is upstream's race too, through its cache).
    if ((await this.opts.store.count(prefixOf(this.opts.quotas, namespace))) === 0) return;
    const before = this.#busy.get(namespace) ?? Promise.resolve();
    const mine = before.then(() => this.#check(type, evaluator, obj, old, dryRun));
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.#busy.set(namespace, settled);
    try {
      await mine;
    } finally {
      if (this.#busy.get(namespace) === settled) this.#busy.delete(namespace);
    }
  }

  async #check(type: ResourceType, evaluator: Evaluator, obj: KubeObject, old: KubeObject | undefined, dryRun: boolean): Promise<void> {
    let quotas = await this.#read(obj.metadata.namespace!);
    for (let retries = RETRIES; quotas.length > 0; retries--) {
      const charged = checkRequest(type, evaluator, quotas, obj, old, Date.now());
      if (dryRun) return;
      const failed: string[] = [];
      let lastErr: unknown;
      for (const [i, quota] of charged.entries()) {
        if (equal(usageOf(quotas[i]!.status?.used), usageOf(quota.status?.used))) continue;
        try {
          await this.opts.registry().update(this.opts.quotas, quota.metadata.namespace, quota.metadata.name!, quota, { subresource: 'status' });
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          failed.push(quota.metadata.name!);
          lastErr = err;
        }
      }
      if (failed.length === 0) return;
      if (retries <= 0) throw lastErr;
      // Only the quotas not yet charged are checked again, at their current version; a deleted one is let go.
      quotas = (await this.#read(obj.metadata.namespace!)).filter((q) => failed.includes(q.metadata.name!));
    }
  }

  /** The namespace's quotas, in name order. */
  async #read(namespace: string): Promise<Quota[]> {
    const type = this.opts.quotas;
    return (await this.opts.store.list(prefixOf(type, namespace))).items.map((kv) => decodeObject(type, kv) as Quota);
  }
}

/**
 * CheckRequest: the quotas as they would be with the object admitted (the
 * same objects where nothing changes), or the 403 that refuses it.
 */
function checkRequest(type: ResourceType, evaluator: Evaluator, quotas: readonly Quota[], obj: KubeObject, old: KubeObject | undefined, now: number): Quota[] {
  const name = obj.metadata.name!;
  const refuse = (why: string) => errors.forbidden(type, name, why);
  const matching: number[] = [];
  for (const [i, quota] of quotas.entries()) {
    if (!quotaMatches(evaluator, quota, obj)) continue;
    const hard = Object.keys(quota.status?.hard ?? {});
    const restricted = evaluator.matchingResources(hard);
    const missing = evaluator.constraints(restricted, obj);
    if (missing !== undefined) throw refuse(`failed quota: ${quota.metadata.name}: ${missing}`);
    // Usage the controller has not counted yet cannot be checked.
    const used = quota.status?.used ?? {};
    if (restricted.some((r) => !Object.hasOwn(used, r))) throw refuse(`status unknown for quota: ${quota.metadata.name}, resources: ${[...restricted].sort().join(',')}`);
    matching.push(i);
  }
  if (matching.length === 0) return [...quotas];
  const usage = evaluator.usage(obj, now);
  const negative = negatives(usage);
  if (negative.length > 0) throw refuse(`quota usage is negative for resource(s): ${negative.sort().join(',')}`);
  const deltas = new Map<number, Usage>(matching.map((i) => [i, usage]));
  // An update is charged what it adds, to the quotas that already counted the object.
  if (old !== undefined && old.metadata.resourceVersion) {
    const delta = subtractNonNegative(usage, evaluator.usage(old, now));
    for (const i of matching) if (quotaMatches(evaluator, quotas[i]!, old)) deltas.set(i, delta);
  }
  const out = [...quotas];
  for (const i of matching) {
    const delta = removeZeros(deltas.get(i)!);
    if (delta.size === 0) continue;
    const quota = quotas[i]!;
    const hard = usageOf(quota.status?.hard);
    const used = usageOf(quota.status?.used);
    const requested = mask(delta, hard.keys());
    const next = sum(used, requested);
    const over = exceeding(mask(next, requested.keys()), hard);
    if (over.length > 0) {
      throw refuse(
        `exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(mask(requested, over))}, used: ${prettyPrint(mask(used, over))}, limited: ${prettyPrint(mask(hard, over))}`,
      );
    }
    out[i] = { ...quota, status: { ...quota.status, used: listOf(next) } };
  }
  return out;
}
