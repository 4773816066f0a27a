// batch/v1 Jobs and CronJobs: SetDefaults_Job / SetDefaults_CronJob, the Job
// strategy's generated selector and labels, and pkg/apis/batch/validation.
import type { CronJobSpec, JobSpec, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import { checkName } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { isTimeZone, scheduleError } from './cron.js';
import { semanticEqual } from './equality.js';
import { duplicate, goQuotedList, goStringMap, IMMUTABLE, invalid, invalidOmitted, MAX_INT32, nonNegative, notSupported, pointerValue, quote, required, tooLongMaxLength, tooMany } from './field-errors.js';
import { asSelector, goLabelSelector, validateLabelSelector, validateQualifiedName } from './labels.js';
import { podTemplateDefaults, templateMetadataDefaults, validatePodTemplate } from './pod-spec.js';

type Job = KubeObject & { spec?: JobSpec; status?: JobStatus };
type CronJob = KubeObject & { spec?: CronJobSpec; status?: object };

const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
const JOB_NAME = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID = 'controller-uid';
const LEGACY_JOB_NAME = 'job-name';
const MAX_INDEXED_PARALLELISM = 100000;
const MAX_FAILED_INDEXES = 100000;
/** maxSuccessPolicyRule and maxJobSuccessPolicySucceededIndexesLimit. */
const MAX_SUCCESS_POLICY_RULES = 20;
const MAX_SUCCEEDED_INDEXES_LENGTH = 65536;

export const jobRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const job = obj as Job;
    const spec = (job.spec ??= {} as JobSpec);
    if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
    spec.parallelism ??= 1;
    spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? 6 : MAX_INT32;
    spec.completionMode ||= 'NonIndexed';
    spec.suspend ??= false;
    for (const rule of spec.podFailurePolicy?.rules ?? []) for (const pattern of rule.onPodConditions ?? []) pattern.status ||= 'True';
    spec.podReplacementPolicy ||= spec.podFailurePolicy === undefined ? 'TerminatingOrFailed' : 'Failed';
    podTemplateDefaults((spec.template ??= {}), obj);
    if (old === undefined) {
      if (!spec.manualSelector) generateSelector(job, spec.template);
      job.status = {};
    }
    // An unlabelled Job takes its pods' labels (the generated ones included).
    const podLabels = spec.template.metadata?.labels;
    if (podLabels !== undefined && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...podLabels };
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const job = obj as Job;
    const spec = job.spec!;
    // Jobs from before the batch.kubernetes.io/ labels keep passing without them.
    const oldLabels = (old as Job | undefined)?.spec?.template.metadata?.labels;
    const prefixedLabels = old === undefined || (oldLabels !== undefined && CONTROLLER_UID in oldLabels && JOB_NAME in oldLabels);
    const causes = [...generatedSelectorCauses(job, prefixedLabels), ...validateJobSpec(spec, 'spec', (old as Job | undefined)?.spec?.template)];
    if (spec.selector === undefined) causes.push(required('spec.selector'));
    else causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    const select = asSelector(spec.selector);
    if (select !== undefined && !select(spec.template.metadata?.labels)) {
      causes.push(invalid('spec.template.metadata.labels', goStringMap(spec.template.metadata?.labels), '`selector` does not match template `labels`'));
    }
    if (spec.completionMode === 'Indexed' && (spec.completions ?? 0) > 0) {
      // Indexed pods are named <job>-<index>: the largest must be a DNS label.
      const hostname = `${obj.metadata.name}-${spec.completions! - 1}`;
      if (checkName(hostname, 'label').length > 0) {
        causes.push(invalid('metadata.name', quote(obj.metadata.name!), `will not able to create pod with invalid DNS label: ${hostname}`));
      }
    }
    return old === undefined ? causes : [...causes, ...validateJobUpdate(spec, old as Job)];
  },
};

export const cronJobRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const cronJob = obj as CronJob;
    const spec = (cronJob.spec ??= {} as CronJobSpec);
    spec.concurrencyPolicy ||= 'Allow';
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    // Only the pod template inside is defaulted: the Job fields wait for the Job.
    const jobTemplate = (spec.jobTemplate ??= {});
    templateMetadataDefaults(jobTemplate);
    podTemplateDefaults(((jobTemplate.spec ??= {} as JobSpec).template ??= {}), obj);
    if (old === undefined) cronJob.status = {};
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const spec = (obj as CronJob).spec!;
    const oldSpec = (old as CronJob | undefined)?.spec;
    const causes: StatusCause[] = [];
    if (!spec.schedule) causes.push(required('spec.schedule'));
    else {
      const err = scheduleError(spec.schedule);
      if (err !== undefined) causes.push(invalid('spec.schedule', quote(spec.schedule), err));
      // Time zones belong in timeZone; schedules that had one already may keep it.
      const hadTZ = oldSpec?.schedule?.includes('TZ') ?? false;
      if (!hadTZ && spec.schedule.includes('TZ')) {
        causes.push(invalid('spec.schedule', quote(spec.schedule), 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
      } else if (hadTZ && spec.schedule.includes('TZ') && spec.timeZone !== undefined) {
        causes.push(invalid('spec.schedule', quote(spec.schedule), 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
      }
    }
    causes.push(...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
    if (oldSpec === undefined || oldSpec.timeZone !== spec.timeZone) causes.push(...validateTimeZone(spec.timeZone));
    if (!['Allow', 'Forbid', 'Replace'].includes(spec.concurrencyPolicy ?? '')) {
      causes.push(notSupported('spec.concurrencyPolicy', quote(spec.concurrencyPolicy ?? ''), ['Allow', 'Forbid', 'Replace']));
    }
    const jobSpec = spec.jobTemplate.spec ?? ({} as JobSpec);
    causes.push(...validateJobSpec(jobSpec, 'spec.jobTemplate.spec', oldSpec?.jobTemplate.spec?.template));
    if (jobSpec.selector !== undefined) causes.push(invalid('spec.jobTemplate.spec.selector', goLabelSelector(jobSpec.selector), '`selector` will be auto-generated'));
    if (jobSpec.manualSelector === true) causes.push(notSupported('spec.jobTemplate.spec.manualSelector', 'true', ['nil', 'false']));
    causes.push(...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
    causes.push(...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
    // The controller names Jobs <cronjob>-<11 characters>; a Job name is a DNS label.
    if (old === undefined && obj.metadata.name!.length > 52) causes.push(invalid('metadata.name', quote(obj.metadata.name!), 'must be no more than 52 characters'));
    return causes;
  },
};

/** The Job strategy's selector: the job's uid, and the labels that select its pods alone. */
function generateSelector(job: Job, template: PodTemplateSpec): void {
  const labels = ((template.metadata ??= {}).labels ??= {});
  const uid = job.metadata.uid!;
  const generated: [string, string][] = [
    [LEGACY_JOB_NAME, job.metadata.name!],
    [JOB_NAME, job.metadata.name!],
    [LEGACY_CONTROLLER_UID, uid],
    [CONTROLLER_UID, uid],
  ];
  // A label the user set wins; validation then reports a mismatch.
  for (const [key, value] of generated) if (!(key in labels)) labels[key] = value;
  const matchLabels = ((job.spec!.selector ??= {}).matchLabels ??= {});
  if (!(CONTROLLER_UID in matchLabels)) matchLabels[CONTROLLER_UID] = uid;
}

function generatedSelectorCauses(job: Job, prefixedLabels: boolean): StatusCause[] {
  const spec = job.spec!;
  if (spec.manualSelector === true || spec.selector === undefined) return [];
  const labels = spec.template.metadata?.labels;
  const expected: [string, string][] = [
    [LEGACY_CONTROLLER_UID, job.metadata.uid!],
    [LEGACY_JOB_NAME, job.metadata.name!],
    ...(prefixedLabels ? ([[CONTROLLER_UID, job.metadata.uid!], [JOB_NAME, job.metadata.name!]] as [string, string][]) : []),
  ];
  const causes: StatusCause[] = [];
  for (const [key, value] of expected) {
    const path = `spec.template.metadata.labels[${key}]`;
    if (labels === undefined || !(key in labels)) causes.push(required(path, `must be '${value}'`));
    else if (labels[key] !== value) causes.push(invalid(path, goStringMap(labels), `must be '${value}'`));
  }
  const select = asSelector(spec.selector);
  if (select !== undefined && !select(Object.fromEntries(expected))) {
    causes.push(invalid('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  }
  return causes;
}

const POLICY_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const EXIT_CODE_OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];
const goInt32s = (values: readonly number[]) => `[]int32{${values.join(', ')}}`;

/** validatePodFailurePolicy: at most 20 rules, each with an action and exactly one of exit codes or pod conditions. */
function validatePodFailurePolicy(spec: JobSpec, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const rules = spec.podFailurePolicy!.rules ?? [];
  if (rules.length > 20) causes.push(tooMany(`${path}.rules`, rules.length, 20));
  const template = spec.template?.spec;
  const containers = new Set([...(template?.containers ?? []), ...(template?.initContainers ?? [])].map((c) => c.name));
  rules.forEach((rule, i) => {
    const at = `${path}.rules[${i}]`;
    const action = rule.action ?? '';
    if (action === '') causes.push(required(`${at}.action`, `valid values: ${goQuotedList(POLICY_ACTIONS)}`));
    else if (action === 'FailIndex') {
      if (spec.backoffLimitPerIndex === undefined) causes.push(invalid(`${at}.action`, quote(action), 'requires the backoffLimitPerIndex to be set'));
    } else if (!POLICY_ACTIONS.includes(action)) causes.push(notSupported(`${at}.action`, quote(action), POLICY_ACTIONS));
    const exitCodes = rule.onExitCodes;
    if (exitCodes !== undefined && exitCodes !== null) {
      const codesAt = `${at}.onExitCodes`;
      const operator = exitCodes.operator ?? '';
      if (operator === '') causes.push(required(`${codesAt}.operator`, `valid values: ${goQuotedList(EXIT_CODE_OPERATORS)}`));
      else if (!EXIT_CODE_OPERATORS.includes(operator)) causes.push(notSupported(`${codesAt}.operator`, quote(operator), EXIT_CODE_OPERATORS));
      if (exitCodes.containerName !== undefined && !containers.has(exitCodes.containerName)) {
        causes.push(invalid(`${codesAt}.containerName`, quote(exitCodes.containerName), 'must be one of the container or initContainer names in the pod template'));
      }
      const values = exitCodes.values ?? [];
      if (values.length === 0) causes.push(invalid(`${codesAt}.values`, goInt32s(values), 'at least one value is required'));
      else if (values.length > 255) causes.push(tooMany(`${codesAt}.values`, values.length, 255));
      const seen = new Set<number>();
      values.forEach((value, j) => {
        if (operator === 'In' && value === 0) causes.push(invalid(`${codesAt}.values[${j}]`, '0', 'must not be 0 for the In operator'));
        if (seen.has(value)) causes.push(duplicate(`${codesAt}.values[${j}]`, String(value)));
        seen.add(value);
      });
      if (values.some((v, j) => j > 0 && values[j - 1]! > v)) causes.push(invalid(`${codesAt}.values`, goInt32s(values), 'must be ordered'));
    }
    const patterns = rule.onPodConditions ?? [];
    if (patterns.length > 20) causes.push(tooMany(`${at}.onPodConditions`, patterns.length, 20));
    patterns.forEach((pattern, j) => {
      const patternAt = `${at}.onPodConditions[${j}]`;
      causes.push(...validateQualifiedName(pattern.type ?? '', `${patternAt}.type`));
      const status = pattern.status ?? '';
      if (status === '') causes.push(required(`${patternAt}.status`, `valid values: ${goQuotedList(CONDITION_STATUSES)}`));
      else if (!CONDITION_STATUSES.includes(status)) causes.push(notSupported(`${patternAt}.status`, quote(status), CONDITION_STATUSES));
    });
    const hasExitCodes = exitCodes !== undefined && exitCodes !== null;
    if (hasExitCodes && patterns.length > 0) causes.push(invalidOmitted(at, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    if (!hasExitCodes && patterns.length === 0) causes.push(invalidOmitted(at, 'specifying one of OnExitCodes and OnPodConditions is required'));
  });
  return causes;
}

function validateSuccessPolicy(spec: JobSpec, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const rules = spec.successPolicy!.rules ?? [];
  if (rules.length === 0) causes.push(required(`${path}.rules`, 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > MAX_SUCCESS_POLICY_RULES) causes.push(tooMany(`${path}.rules`, rules.length, MAX_SUCCESS_POLICY_RULES));
  const completions = spec.completions ?? 0;
  rules.forEach((rule, i) => {
    const at = `${path}.rules[${i}]`;
    if (rule.succeededCount === undefined && rule.succeededIndexes === undefined) causes.push(required(at, 'at least one of succeededCount or succeededIndexes must be specified'));
    let total = 0;
    if (rule.succeededIndexes !== undefined) {
      const indexes = rule.succeededIndexes;
      if (indexes.length > MAX_SUCCEEDED_INDEXES_LENGTH) causes.push(tooLongMaxLength(`${at}.succeededIndexes`, MAX_SUCCEEDED_INDEXES_LENGTH));
      const parsed = indexesFormat(indexes, completions);
      if (typeof parsed === 'string') causes.push(invalid(`${at}.succeededIndexes`, quote(indexes), `error parsing succeededIndexes: ${parsed}`));
      else total = parsed;
    }
    if (rule.succeededCount !== undefined) {
      causes.push(...nonNegative(`${at}.succeededCount`, rule.succeededCount));
      if (rule.succeededCount > completions) {
        causes.push(invalid(`${at}.succeededCount`, String(rule.succeededCount), `must be less than or equal to ${completions} (the number of specified completions)`));
      }
      if (rule.succeededIndexes !== undefined && rule.succeededCount > total) {
        causes.push(invalid(`${at}.succeededCount`, String(rule.succeededCount), `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
      }
    }
  });
  return causes;
}

/** upstream's validateIndexesFormat: how many indexes "1,3-5" names, or why it is not a list of increasing intervals below completions. */
function indexesFormat(text: string, completions: number): number | string {
  if (text === '') return 0;
  let last: number | undefined;
  let total = 0;
  for (const interval of text.split(',')) {
    const limits = interval.split('-');
    if (limits.length > 2) return `the fragment ${quote(interval)} violates the requirement that an index interval can have at most two parts separated by '-'`;
    for (const [i, limit] of limits.entries()) {
      if (!/^[+-]?[0-9]+$/.test(limit)) return `cannot convert string to integer for index: ${quote(limit)}`;
      const n = Number(limit);
      if (n >= completions) return `too large index: ${quote(limit)}`;
      if (last !== undefined && last >= n) return `non-increasing order, previous: ${last}, current: ${n}`;
      total += i === 0 ? 1 : n - last!;
      last = n;
    }
  }
  return total;
}

/** validateJobSpec: what a Job and a CronJob's job template share; `old` is the pod template being updated. */
function validateJobSpec(spec: JobSpec, path: string, old: PodTemplateSpec | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes'] as const) {
    causes.push(...nonNegative(`${path}.${f}`, spec[f]));
  }
  if (spec.maxFailedIndexes !== undefined && spec.backoffLimitPerIndex === undefined) {
    causes.push(required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  }
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') causes.push(notSupported(`${path}.completionMode`, quote(mode), ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed') {
    if (spec.completions === undefined) causes.push(required(`${path}.completions`, 'when completion mode is Indexed'));
    if (spec.parallelism !== undefined && spec.parallelism > MAX_INDEXED_PARALLELISM) {
      causes.push(invalid(`${path}.parallelism`, String(spec.parallelism), `must be less than or equal to ${MAX_INDEXED_PARALLELISM} when completion mode is Indexed`));
    }
    if (spec.completions !== undefined && spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes > spec.completions) {
      causes.push(invalid(`${path}.maxFailedIndexes`, String(spec.maxFailedIndexes), 'must be less than or equal to completions'));
    }
    if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes > MAX_FAILED_INDEXES) {
      causes.push(invalid(`${path}.maxFailedIndexes`, String(spec.maxFailedIndexes), `must be less than or equal to ${MAX_FAILED_INDEXES}`));
    }
  } else {
    if (spec.backoffLimitPerIndex !== undefined) causes.push(invalid(`${path}.backoffLimitPerIndex`, String(spec.backoffLimitPerIndex), 'requires indexed completion mode'));
    if (spec.maxFailedIndexes !== undefined) causes.push(invalid(`${path}.maxFailedIndexes`, String(spec.maxFailedIndexes), 'requires indexed completion mode'));
  }
  if (spec.podFailurePolicy !== undefined && spec.podFailurePolicy !== null) causes.push(...validatePodFailurePolicy(spec, `${path}.podFailurePolicy`));
  if (spec.successPolicy !== undefined && spec.successPolicy !== null) {
    // Upstream prints the policy as Go's %#v, pointers as addresses: the detail alone here.
    if (mode !== 'Indexed') causes.push(invalidOmitted(`${path}.successPolicy`, 'requires indexed completion mode'));
    else causes.push(...validateSuccessPolicy(spec, `${path}.successPolicy`));
  }
  const replacement = spec.podReplacementPolicy;
  if (replacement !== undefined) {
    const allowed = spec.podFailurePolicy === undefined ? ['Failed', 'TerminatingOrFailed'] : ['Failed'];
    if (!allowed.includes(replacement)) causes.push(notSupported(`${path}.podReplacementPolicy`, quote(replacement), allowed));
  }
  const template = spec.template ?? {};
  causes.push(...validatePodTemplate(template, `${path}.template`, old));
  // The pod-spec default Always is no choice for a Job: it must say OnFailure or Never.
  const restartPolicy = template.spec?.restartPolicy ?? '';
  const restartPath = `${path}.template.spec.restartPolicy`;
  if (restartPolicy === 'Always' || restartPolicy === '') causes.push(required(restartPath, 'valid values: "OnFailure", "Never"'));
  else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') causes.push(notSupported(restartPath, quote(restartPolicy), ['OnFailure', 'Never']));
  else if (spec.podFailurePolicy !== undefined && restartPolicy !== 'Never') {
    causes.push(invalid(restartPath, quote(restartPolicy), 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return causes;
}

/** ValidateJobSpecUpdate's immutable fields. */
function validateJobUpdate(spec: JobSpec, old: Job): StatusCause[] {
  const oldSpec = old.spec!;
  const causes: StatusCause[] = [];
  if (spec.completionMode === 'Indexed') {
    // Elastic Indexed Jobs: completions may change, in step with parallelism.
    if (spec.completions !== undefined && spec.completions !== oldSpec.completions && spec.completions !== spec.parallelism) {
      causes.push(invalid('spec.completions', String(spec.completions), 'can only be modified in tandem with spec.parallelism'));
    }
  } else if (spec.completions !== oldSpec.completions) {
    causes.push(invalid('spec.completions', pointerValue(spec.completions), IMMUTABLE));
  }
  if (!semanticEqual(spec.selector, oldSpec.selector)) causes.push(invalid('spec.selector', goLabelSelector(spec.selector), IMMUTABLE));
  if (!semanticEqual(spec.template, comparableTemplate(spec.template, old))) {
    causes.push(invalid('spec.template', JSON.stringify(spec.template), IMMUTABLE));
  }
  if (spec.completionMode !== oldSpec.completionMode) causes.push(invalid('spec.completionMode', pointerValue(spec.completionMode), IMMUTABLE));
  if (!semanticEqual(spec.podFailurePolicy, oldSpec.podFailurePolicy)) {
    causes.push(invalid('spec.podFailurePolicy', JSON.stringify(spec.podFailurePolicy ?? null), IMMUTABLE));
  }
  if (spec.backoffLimitPerIndex !== oldSpec.backoffLimitPerIndex) {
    causes.push(invalid('spec.backoffLimitPerIndex', pointerValue(spec.backoffLimitPerIndex), IMMUTABLE));
  }
  if (!semanticEqual(spec.successPolicy, oldSpec.successPolicy)) causes.push(invalid('spec.successPolicy', JSON.stringify(spec.successPolicy ?? null), IMMUTABLE));
  return causes;
}

/**
 * The old template to compare against: a suspended Job that never started
 * may still change where its pods run (affinity, node selector,
 * tolerations, scheduling gates) and their labels and annotations.
 */
function comparableTemplate(template: PodTemplateSpec, old: Job): PodTemplateSpec {
  const oldTemplate = old.spec!.template;
  if (!(old.spec!.suspend === true && old.status?.startTime === undefined)) return oldTemplate;
  const spec = { ...oldTemplate.spec! };
  const affinity = template.spec?.affinity;
  const oldOther = { ...spec.affinity, nodeAffinity: undefined };
  if (affinity === undefined) spec.affinity = semanticEqual(oldOther, {}) ? undefined : oldOther;
  else spec.affinity = { ...spec.affinity, nodeAffinity: affinity.nodeAffinity };
  spec.nodeSelector = template.spec?.nodeSelector;
  spec.tolerations = template.spec?.tolerations;
  spec.schedulingGates = template.spec?.schedulingGates;
  return { metadata: { ...oldTemplate.metadata, labels: template.metadata?.labels, annotations: template.metadata?.annotations }, spec };
}

function validateTimeZone(timeZone: string | undefined): StatusCause[] {
  if (timeZone === undefined) return [];
  const value = quote(timeZone);
  if (timeZone === '') return [invalid('spec.timeZone', value, 'timeZone must be nil or non-empty string')];
  const badPart = timeZone.split('/').some((part) => part === '.' || part === '..' || part.startsWith('-') || !/^[A-Za-z.\-_0-9+]{1,14}$/.test(part));
  if (badPart) return [invalid('spec.timeZone', value, `unknown time zone ${timeZone}`)];
  const causes: StatusCause[] = [];
  if (timeZone.toLowerCase() === 'local') {
    causes.push(invalid('spec.timeZone', value, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  }
  if (!isTimeZone(timeZone)) causes.push(invalid('spec.timeZone', value, `unknown time zone ${timeZone}`));
  return causes;
}
