// What a Deployment's ReplicaSets record about it (upstream's
// deployment/util): the pod-template-hash label that tells each set's
// template apart (template-hash.ts computes its value), the revision
// annotations `kubectl rollout history|undo` read, the replica annotations
// proportional scaling reads, and the rolling update's fenceposts.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { semanticEqual } from '../api/kinds/equality.js';
import type { KubeObject } from '../api/objects.js';
import { scaledValue } from './int-or-percent.js';

export type DeploymentObject = KubeObject & Deployment;
export type ReplicaSetObject = KubeObject & ReplicaSet;

export const HASH_LABEL = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** Upstream keeps at most this many characters of revision history on a set. */
const REVISION_HISTORY_CHARS = 2000;
/** Deployment annotations a set does not copy: they are the set's own, or kubectl's. */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

/** EqualIgnoreHash: the same template once the pod-template-hash label is set aside (an empty label map is no labels). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b));
}

function withoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(template ?? {});
  const labels = copy.metadata?.labels;
  if (labels !== undefined) {
    delete labels[HASH_LABEL];
    if (Object.keys(labels).length === 0) delete copy.metadata!.labels;
  }
  return copy;
}

/** The revision a set records, 0 when none (or not a number, which upstream skips too). */
export function revisionOf(obj: KubeObject): number {
  const value = obj.metadata.annotations?.[REVISION];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : 0;
}

export function maxRevision(sets: readonly KubeObject[]): number {
  return Math.max(0, ...sets.map(revisionOf));
}

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's annotations (as
 * kubernetes.io/change-cause) onto its new set, raises the set's revision to
 * `revision` (a set that comes back, as after `rollout undo`, keeps its old
 * revisions in revision-history), and gives a set about to be created its
 * replica annotations. True when the set changed.
 */
export function setNewReplicaSetAnnotations(d: DeploymentObject, rs: ReplicaSetObject, revision: number, exists: boolean): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(key) || annotations[key] === value) continue;
    annotations[key] = value;
    changed = true;
  }
  const old = annotations[REVISION];
  if (old !== undefined && !/^\d+$/.test(old)) return changed;
  const oldRevision = old === undefined ? 0 : Number(old);
  if (oldRevision < revision) {
    annotations[REVISION] = String(revision);
    changed = true;
    if (old !== undefined) {
      const history = annotations[REVISION_HISTORY];
      annotations[REVISION_HISTORY] = history === undefined || history === '' ? old : trimHistory(history.split(','), old);
    }
  }
  if (!exists && setReplicasAnnotations(rs, d.spec!.replicas ?? 1, (d.spec!.replicas ?? 1) + maxSurge(d))) changed = true;
  return changed;
}

/** Appends `revision`, dropping the oldest entries to stay within upstream's character limit. */
function trimHistory(revisions: string[], revision: string): string {
  let total = revisions.join(',').length + revision.length + 1;
  let start = 0;
  while (total > REVISION_HISTORY_CHARS && start < revisions.length) total -= revisions[start++]!.length + 1;
  return [...revisions.slice(start), revision].join(',');
}

/** SetReplicasAnnotations: the Deployment's size (and with surge) when the set was last scaled. */
export function setReplicasAnnotations(rs: ReplicaSetObject, desired: number, max: number): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  if (annotations[DESIRED_REPLICAS] === String(desired) && annotations[MAX_REPLICAS] === String(max)) return false;
  annotations[DESIRED_REPLICAS] = String(desired);
  annotations[MAX_REPLICAS] = String(max);
  return true;
}

export function annotatedNumber(rs: KubeObject, key: string): number | undefined {
  const value = rs.metadata.annotations?.[key];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

// --- the rolling update's fenceposts ----------------------------------------

export function isRollingUpdate(d: DeploymentObject): boolean {
  return d.spec?.strategy?.type === 'RollingUpdate';
}

/** ResolveFenceposts: surge rounds up, unavailability down; both 0 makes unavailability 1. */
export function fenceposts(d: DeploymentObject): { surge: number; unavailable: number } {
  const rolling = d.spec?.strategy?.rollingUpdate;
  const desired = d.spec?.replicas ?? 1;
  const surge = scaledValue(rolling?.maxSurge, desired, true);
  const unavailable = scaledValue(rolling?.maxUnavailable, desired, false);
  return { surge, unavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

export function maxSurge(d: DeploymentObject): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: DeploymentObject): number {
  const desired = d.spec?.replicas ?? 1;
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(fenceposts(d).unavailable, desired);
}

// --- orders ------------------------------------------------------------------

/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

/** ReplicaSetsByRevision: lowest revision first, then oldest. */
export function byRevision(a: KubeObject, b: KubeObject): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  return ra === rb ? byCreation(a, b) : ra - rb;
}
