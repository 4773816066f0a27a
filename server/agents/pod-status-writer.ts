// Writes the pod statuses agents report to the pods' status subresource, but
// only for a pod that exists, is bound to the reporting node (the one its
// certificate names, never what the message says) and has the reported uid:
// a report about a pod deleted and created again under the same name, or
// about another node's pod, is dropped. Conditions the agent does not own
// (DisruptionTarget, readiness gates set by others) are kept, as kubelet's
// status manager keeps them.
import type { Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { AGENT_POD_CONDITIONS, type PodStatusReport } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';

export interface PodStatusWriterOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
}

/** Why a report was not written (it is not this node's to write). */
class NotYours extends Error {}

export class PodStatusWriter {
  readonly #pods: ResourceType;

  constructor(private readonly opts: PodStatusWriterOptions) {
    this.#pods = opts.catalogue.get('', 'v1', 'pods')!;
  }

  /** Writes `report` for `node`; a report that is not the node's to write is dropped with a debug line. */
  async write(node: string, report: PodStatusReport, log: Logger): Promise<void> {
    const pod = `${report.namespace}/${report.name}`;
    let status: PodStatus;
    try {
      status = parseStatus(report.statusJson);
    } catch (err) {
      // One bad report is not worth the whole stream.
      log.warn('pod status refused', { pod, reason: (err as Error).message });
      return;
    }
    try {
      await this.opts.registry.patch(
        this.#pods,
        report.namespace,
        report.name,
        (current) => {
          const stored = current as KubeObject & Pod;
          if (stored.metadata.uid !== report.uid) throw new NotYours(`uid ${stored.metadata.uid}, not ${report.uid}`);
          if (stored.spec?.nodeName !== node) throw new NotYours(`bound to ${JSON.stringify(stored.spec?.nodeName ?? '')}`);
          return { ...stored, status: { ...status, conditions: mergeConditions(stored.status?.conditions, status.conditions) } } as KubeObject;
        },
        { subresource: 'status' },
      );
    } catch (err) {
      if (err instanceof NotYours) return log.debug('pod status dropped: not this node’s pod', { pod, reason: err.message });
      if (err instanceof ApiError && err.code === 404) return log.debug('pod status dropped: no such pod', { pod });
      throw err;
    }
  }
}

function parseStatus(json: Buffer): PodStatus {
  let status: unknown;
  try {
    status = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new Error(`malformed JSON: ${(err as Error).message}`);
  }
  if (typeof status !== 'object' || status === null || Array.isArray(status)) throw new Error('a PodStatus is a JSON object');
  const conditions = (status as PodStatus).conditions;
  if (conditions !== undefined && !Array.isArray(conditions)) throw new Error('status.conditions is not a list');
  return status as PodStatus;
}

function mergeConditions(stored: readonly PodCondition[] | undefined, reported: readonly PodCondition[] | undefined): PodCondition[] {
  return [...(stored ?? []).filter((c) => !AGENT_POD_CONDITIONS.has(c.type)), ...(reported ?? []).filter((c) => AGENT_POD_CONDITIONS.has(c.type))];
}
