// ControllerRevisions, the template history of DaemonSets and StatefulSets
// (upstream's pkg/controller/history): a revision snapshots the pod template
// as the patch that restores it, is named `<owner>-<hash>`, carries the hash
// in the controller-revision-hash label its pods get too, and has a number
// that grows with each change (a rollback renumbers the old revision rather
// than copying it). Hash collisions bump the owner's status.collisionCount.
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import { semanticEqual } from '../api/kinds/equality.js';
import type { Selector } from '../api/kinds/labels.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { isGoneOrReplaced } from './api-errors.js';
import { claim, controllerRef, type OwnerKind } from './owned-objects.js';
import type { SharedInformer } from './shared-informers.js';
import { revisionHash } from './template-hash.js';

export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';

export type Revision = KubeObject & ControllerRevision;

/** What a revision stores: the template as a strategic merge patch that replaces it (what `kubectl rollout undo` applies). */
export function templatePatch(template: PodTemplateSpec): object {
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

/** The template a revision restores. */
export function templateOf(revision: Revision): PodTemplateSpec {
  const { $patch: _, ...template } = (revision.data as { spec: { template: PodTemplateSpec & { $patch?: string } } }).spec.template;
  return template;
}

/** Oldest first: by revision number, then creation time, then name. */
export function sortRevisions(revisions: Revision[]): Revision[] {
  return revisions.sort(
    (a, b) =>
      a.revision - b.revision ||
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      a.metadata.name!.localeCompare(b.metadata.name!),
  );
}

/** The number the next new revision gets. */
export function nextRevision(revisions: readonly Revision[]): number {
  return Math.max(0, ...revisions.map((r) => r.revision)) + 1;
}

export function sameData(revision: Revision, data: object): boolean {
  return semanticEqual(revision.data, data);
}

export interface RevisionsOptions {
  readonly registry: Registry;
  readonly informer: SharedInformer;
  readonly ownerKind: OwnerKind;
  readonly log: Logger;
}

/** Reads, writes and prunes one kind of owner's revisions. */
export class Revisions {
  readonly #type: ResourceType;

  constructor(
    private readonly opts: RevisionsOptions,
    type: ResourceType,
  ) {
    this.#type = type;
  }

  /** The revisions `owner` controls (adopting orphans its selector matches), oldest first. */
  async of(owner: KubeObject, selector: Selector): Promise<Revision[]> {
    const claimed = await claim(owner, selector, { ...this.opts, type: this.#type });
    return sortRevisions(claimed as Revision[]);
  }

  /**
   * Creates the revision of `data` numbered `number`; when another revision
   * already has its name with other data, tries the next collision count.
   * Returns the revision (an equal one already there counts) and the count used.
   */
  async create(owner: KubeObject, templateLabels: Readonly<Record<string, string>> | undefined, data: object, number: number, collisionCount: number): Promise<{ revision: Revision; collisionCount: number }> {
    const namespace = owner.metadata.namespace!;
    for (let count = collisionCount; ; count++) {
      const hash = revisionHash(data, count);
      const revision: Revision = {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: `${owner.metadata.name!.slice(0, 223)}-${hash}`,
          namespace,
          labels: { ...templateLabels, [CONTROLLER_REVISION_HASH]: hash },
          ...(owner.metadata.annotations !== undefined ? { annotations: { ...owner.metadata.annotations } } : {}),
          ownerReferences: [controllerRef(owner, this.opts.ownerKind)],
        },
        data,
        revision: number,
      };
      try {
        const created = (await this.opts.registry.create(this.#type, namespace, revision, {})) as Revision;
        this.opts.informer.remember(created);
        return { revision: created, collisionCount: count };
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
        const existing = (await this.opts.registry.get(this.#type, namespace, revision.metadata.name!)) as Revision;
        if (sameData(existing, data)) return { revision: existing, collisionCount: count };
      }
    }
  }

  /** Gives an older revision a new number (a rollback to it). */
  async renumber(revision: Revision, number: number): Promise<Revision> {
    const written = (await this.opts.registry.patch(this.#type, revision.metadata.namespace, revision.metadata.name!, (current) => ({ ...current, revision: number }), {})) as Revision;
    this.opts.informer.remember(written);
    return written;
  }

  async delete(revision: Revision): Promise<void> {
    try {
      await this.opts.registry.delete(this.#type, revision.metadata.namespace, revision.metadata.name!, { preconditions: { uid: revision.metadata.uid! } });
    } catch (err) {
      if (!isGoneOrReplaced(err)) throw err;
    }
  }

  /** Deletes the oldest of `history` (sorted, oldest first) that no pod uses, until at most `limit` are left. */
  async prune(history: readonly Revision[], live: (revision: Revision) => boolean, limit: number): Promise<void> {
    let excess = history.length - limit;
    for (const revision of history) {
      if (excess <= 0) return;
      if (live(revision)) continue;
      await this.delete(revision);
      excess--;
    }
  }
}
