// The controllers' printers: Deployment, ReplicaSet, StatefulSet, DaemonSet,
// Job and CronJob. Where a field is absent the cell shows the value the
// apiserver's defaulting would have stored (one replica, not suspended).
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import { ageColumn, column, containersColumn, docs, imagesColumn, nameColumn } from './columns.js';
import { age, humanDuration, parseTime, since } from './duration.js';
import { containerCells, formatLabels, formatLabelSelector, labelSelectorString } from './format.js';
import type { Printer } from './table.js';

export const deploymentPrinter: Printer = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', docs.depUpdated),
    column('Available', 'string', docs.depAvailable),
    ageColumn,
    containersColumn,
    imagesColumn,
    column('Selector', 'string', docs.depSelector, 1),
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as Deployment;
    // Unlike the other selectors, an invalid one reads "<invalid>" and an empty one "".
    const selector = labelSelectorString(spec?.selector) ?? '<invalid>';
    return [
      object.metadata.name ?? '',
      `${status?.readyReplicas ?? 0}/${spec?.replicas ?? 1}`,
      status?.updatedReplicas ?? 0,
      status?.availableReplicas ?? 0,
      age(object, now),
      ...containerCells(spec?.template?.spec?.containers),
      selector,
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Desired', 'integer', docs.rsReplicas),
    column('Current', 'integer', docs.rsStatusReplicas),
    column('Ready', 'integer', docs.rsReady),
    ageColumn,
    containersColumn,
    imagesColumn,
    column('Selector', 'string', docs.rsSelector, 1),
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as ReplicaSet;
    return [
      object.metadata.name ?? '',
      spec?.replicas ?? 1,
      status?.replicas ?? 0,
      status?.readyReplicas ?? 0,
      age(object, now),
      ...containerCells(spec?.template?.spec?.containers),
      formatLabelSelector(spec?.selector),
    ];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [nameColumn, column('Ready', 'string', 'Number of the pod with ready state'), ageColumn, containersColumn, imagesColumn],
  cells(object, now) {
    const { spec, status } = object as unknown as StatefulSet;
    return [
      object.metadata.name ?? '',
      `${status?.readyReplicas ?? 0}/${spec?.replicas ?? 1}`,
      age(object, now),
      ...containerCells(spec?.template?.spec?.containers),
    ];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Desired', 'integer', docs.dsDesired),
    column('Current', 'integer', docs.dsCurrent),
    column('Ready', 'integer', docs.dsReady),
    column('Up-to-date', 'integer', docs.dsUpdated),
    column('Available', 'integer', docs.dsAvailable),
    column('Node Selector', 'string', docs.nodeSelector),
    ageColumn,
    containersColumn,
    imagesColumn,
    column('Selector', 'string', docs.dsSelector, 1),
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as DaemonSet;
    return [
      object.metadata.name ?? '',
      status?.desiredNumberScheduled ?? 0,
      status?.currentNumberScheduled ?? 0,
      status?.numberReady ?? 0,
      status?.updatedNumberScheduled ?? 0,
      status?.numberAvailable ?? 0,
      formatLabels(spec?.template?.spec?.nodeSelector),
      age(object, now),
      ...containerCells(spec?.template?.spec?.containers),
      formatLabelSelector(spec?.selector),
    ];
  },
};

export const jobPrinter: Printer = {
  columns: [
    nameColumn,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', docs.jobSucceeded),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn,
    containersColumn,
    imagesColumn,
    column('Selector', 'string', docs.jobSelector, 1),
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as Job;
    const succeeded = status?.succeeded ?? 0;
    let completions: string;
    if (spec?.completions !== undefined && spec.completions !== null) {
      completions = `${succeeded}/${spec.completions}`;
    } else {
      // A work queue: done once one pod succeeds.
      const parallelism = spec?.parallelism ?? 0;
      completions = parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
    }
    const start = parseTime(status?.startTime);
    const completion = parseTime(status?.completionTime);
    let duration = '';
    if (start !== undefined) duration = humanDuration((completion ?? now.getTime()) - start);
    return [
      object.metadata.name ?? '',
      jobStatus(object.metadata.deletionTimestamp, status?.conditions),
      completions,
      duration,
      age(object, now),
      ...containerCells(spec?.template?.spec?.containers),
      formatLabelSelector(spec?.selector),
    ];
  },
};

function jobStatus(deletionTimestamp: string | undefined, conditions: readonly JobCondition[] | undefined): string {
  // The first condition of a type decides, as upstream's hasJobCondition.
  const has = (type: string): boolean => conditions?.find((c) => c.type === type)?.status === 'True';
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (deletionTimestamp) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export const cronJobPrinter: Printer = {
  columns: [
    nameColumn,
    column('Schedule', 'string', docs.cjSchedule),
    column('Timezone', 'string', docs.cjTimeZone),
    column('Suspend', 'boolean', docs.cjSuspend),
    column('Active', 'integer', docs.cjActive),
    column('Last Schedule', 'string', docs.cjLast),
    ageColumn,
    containersColumn,
    imagesColumn,
    column('Selector', 'string', docs.jobSelector, 1),
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as CronJob;
    const jobSpec = spec?.jobTemplate?.spec;
    return [
      object.metadata.name ?? '',
      spec?.schedule ?? '',
      spec?.timeZone ?? '<none>',
      spec?.suspend ? 'True' : 'False',
      (status?.active ?? []).length,
      status?.lastScheduleTime ? since(status.lastScheduleTime, now) : '<none>',
      age(object, now),
      ...containerCells(jobSpec?.template?.spec?.containers),
      formatLabelSelector(jobSpec?.selector),
    ];
  },
};
