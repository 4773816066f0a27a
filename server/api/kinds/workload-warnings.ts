// What upstream's strategies for pods and the workloads with a pod template
// warn about (Kubernetes 1.31): the template's pod warnings (pod-warnings.ts)
// on create, and on an update only when the spec changed (the generation
// moved; a DaemonSet's template generation); names that are no DNS label,
// which pods' hostnames come from; and a few fields of their own.
import type { DaemonSetSpec, DeploymentSpec, ReplicaSetSpec, StatefulSetSpec } from 'kubernetes-types/apps/v1.js';
import type { CronJobSpec, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { KubeObject } from '../objects.js';
import { nameErrors } from '../registry/names.js';
import { semanticEqual } from './equality.js';
import { appArmorSyncWarnings } from './apparmor.js';
import { podTemplateWarnings, podWarnings } from './pod-warnings.js';
import { claimSpecWarnings } from './storage-warnings.js';

type Warnings = (obj: KubeObject, old: KubeObject | undefined) => string[];

/** Upstream's safe limits for Indexed Jobs, past which it may lose track of failed indexes. */
const COMPLETIONS_SOFT_LIMIT = 100_000;
const PARALLELISM_SOFT_LIMIT = 10_000;

/** Pods warn on create only: updates are frequent and rarely a person's. */
export const podStrategyWarnings: Warnings = (obj, old) => {
  if (old !== undefined) return [];
  return [...appArmorSyncWarnings(obj), ...dnsLabel(obj, "the Pod's hostname"), ...podWarnings(obj)];
};

export const deploymentWarnings: Warnings = (obj, old) => templated<DeploymentSpec>(obj, old, true);
export const replicaSetWarnings: Warnings = (obj, old) => templated<ReplicaSetSpec>(obj, old, true);

export const daemonSetWarnings: Warnings = (obj, old) => {
  const template = specOf<DaemonSetSpec>(obj).template;
  if (old !== undefined && semanticEqual(template, specOf<DaemonSetSpec>(old).template)) return [];
  return podTemplateWarnings('spec.template', template);
};

/** Claim templates are warned about on every update, with upstream's paths: none below the index on create, "Spec" on update. */
export const statefulSetWarnings: Warnings = (obj, old) => {
  const warnings = templated<StatefulSetSpec>(obj, old, false);
  (specOf<StatefulSetSpec>(obj).volumeClaimTemplates ?? []).forEach((claim, i) => {
    warnings.push(...claimSpecWarnings(`spec.volumeClaimTemplates[${i}]${old === undefined ? '' : '.Spec'}`, claim.spec));
  });
  return warnings;
};

export const jobWarnings: Warnings = (obj, old) => {
  if (old === undefined) return [...dnsLabel(obj, 'Pod names and hostnames'), ...jobSpecWarnings('spec', specOf<JobSpec>(obj))];
  return generationMoved(obj, old) ? jobSpecWarnings('spec', specOf<JobSpec>(obj)) : [];
};

export const cronJobWarnings: Warnings = (obj, old) => {
  const spec = specOf<CronJobSpec>(obj);
  const jobSpec = spec.jobTemplate?.spec ?? ({} as JobSpec);
  const path = 'spec.jobTemplate.spec';
  if (old === undefined) return [...dnsLabel(obj, 'Pod names and hostnames'), ...jobSpecWarnings(path, jobSpec)];
  const warnings = generationMoved(obj, old) ? jobSpecWarnings(path, jobSpec) : [];
  // Only updates can keep a TZ in the schedule (validation refuses new ones); upstream's path says "spec.spec".
  if (spec.schedule?.includes('TZ')) {
    warnings.push('cannot use TZ or CRON_TZ in spec.spec.schedule, use timeZone instead, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details');
  }
  return warnings;
};

/** Deployments, ReplicaSets and StatefulSets: `named` when upstream warns about the name too. */
function templated<Spec extends { template?: DeploymentSpec['template'] }>(obj: KubeObject, old: KubeObject | undefined, named: boolean): string[] {
  const template = specOf<Spec>(obj).template;
  if (old === undefined) return [...(named ? dnsLabel(obj, 'Pod names and hostnames') : []), ...podTemplateWarnings('spec.template', template)];
  return generationMoved(obj, old) ? podTemplateWarnings('spec.template', template) : [];
}

/** WarningsForJobSpec. */
function jobSpecWarnings(path: string, spec: JobSpec): string[] {
  const warnings: string[] = [];
  if (spec.completionMode === 'Indexed' && (spec.completions ?? 0) > COMPLETIONS_SOFT_LIMIT && (spec.parallelism ?? 0) > PARALLELISM_SOFT_LIMIT) {
    warnings.push(
      `${path}: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than 10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail`,
    );
  }
  return [...warnings, ...podTemplateWarnings(`${path}.template`, spec.template)];
}

/** The name is used in `what`: a DNS label is recommended (%v of IsDNS1123Label's messages). */
function dnsLabel(obj: KubeObject, what: string): string[] {
  const errs = nameErrors(obj.metadata.name ?? '', 'label');
  return errs.length === 0 ? [] : [`metadata.name: this is used in ${what}, which can result in surprising behavior; a DNS label is recommended: [${errs.join(' ')}]`];
}

function generationMoved(obj: KubeObject, old: KubeObject): boolean {
  return obj.metadata.generation !== old.metadata.generation;
}

function specOf<Spec>(obj: KubeObject): Spec {
  return (obj['spec'] ?? {}) as Spec;
}
