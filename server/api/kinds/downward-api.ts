// What the downward API may expose of a pod, as upstream 1.31 validates the
// selectors that ask for it (validateObjectFieldSelector,
// validateContainerResourceFieldSelector): a field path the v1 API knows,
// converted as ConvertDownwardAPIFieldLabel does, then one the caller
// allows, or a label or annotation by key; a container resource the caller
// allows, with a divisor in that resource's units. Env vars and downwardAPI
// volume files use them, each with its own list of pod fields.
import type { ObjectFieldSelector, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { formatQuantity, parseQuantity } from '../../../common/quantity.js';
import type { StatusCause } from '../status.js';
import { invalid, notSupported, quote, required } from './field-errors.js';
import { validateQualifiedName } from './labels.js';

/** The field labels a v1 pod converts; spec.host is the old name of spec.nodeName. */
const POD_FIELD_LABELS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

/** fieldpath.SplitMaybeSubscriptedPath: "metadata.labels['app']" is the path and its key. */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const inner = fieldPath.slice(0, -2);
  const at = inner.indexOf("['");
  return at > 0 ? [inner.slice(0, at), inner.slice(at + 2)] : undefined;
}

/** ConvertDownwardAPIFieldLabel's error, or the internal path. */
function convertFieldLabel(version: string, label: string): { path: string } | { error: string } {
  if (version !== 'v1') return { error: `unsupported pod version: ${version}` };
  const subscripted = splitSubscript(label);
  if (subscripted !== undefined) {
    return ['metadata.annotations', 'metadata.labels'].includes(subscripted[0]) ? { path: label } : { error: `field label does not support subscript: ${label}` };
  }
  if (label === 'spec.host') return { path: 'spec.nodeName' };
  return POD_FIELD_LABELS.includes(label) ? { path: label } : { error: `field label not supported: ${label}` };
}

/** validateObjectFieldSelector; `allowed` sorted, as upstream lists them. */
export function validateObjectFieldSelector(selector: ObjectFieldSelector, allowed: readonly string[], path: string): StatusCause[] {
  if (!selector.apiVersion) return [required(`${path}.apiVersion`)];
  if (!selector.fieldPath) return [required(`${path}.fieldPath`)];
  const converted = convertFieldLabel(selector.apiVersion, selector.fieldPath);
  if ('error' in converted) return [invalid(`${path}.fieldPath`, quote(selector.fieldPath), `error converting fieldPath: ${converted.error}`)];
  const subscripted = splitSubscript(converted.path);
  if (subscripted !== undefined) {
    const [field, key] = subscripted;
    return validateQualifiedName(field === 'metadata.annotations' ? key.toLowerCase() : key, path);
  }
  return allowed.includes(converted.path) ? [] : [notSupported(`${path}.fieldPath`, quote(converted.path), allowed)];
}

/** validContainerResourceFieldPathExpressions, sorted: what env vars and downwardAPI volume files may ask of a container. */
export const CONTAINER_RESOURCE_FIELDS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

const DIVISOR_UNITS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];
const HUGEPAGES_PREFIXES = ['limits.hugepages-', 'requests.hugepages-'];

/** validateContainerResourceFieldSelector; `inVolume` when the selector must also name its container. */
export function validateResourceFieldSelector(selector: ResourceFieldSelector, allowed: readonly string[], path: string, inVolume: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const resource = selector.resource ?? '';
  if (inVolume && !selector.containerName) causes.push(required(`${path}.containerName`));
  else if (resource === '') causes.push(required(`${path}.resource`));
  else if (!allowed.includes(resource) && !HUGEPAGES_PREFIXES.some((p) => resource.startsWith(p))) causes.push(notSupported(`${path}.resource`, quote(resource), allowed));
  causes.push(...divisorErrors(resource, selector.divisor, `${path}.divisor`));
  return causes;
}

/** validateContainerResourceDivisor: an unset (zero) divisor is fine; others in the resource's units, compared in canonical form. */
function divisorErrors(resource: string, divisor: string | number | undefined, path: string): StatusCause[] {
  const parsed = divisor === undefined ? undefined : parseQuantity(divisor);
  if (parsed === undefined || typeof parsed === 'string' || parsed.value === 0n) return [];
  const canonical = formatQuantity(parsed);
  const errs: string[] = [];
  const units = DIVISOR_UNITS.join(', ');
  if (resource === 'limits.cpu' || resource === 'requests.cpu') {
    if (canonical !== '1m' && canonical !== '1') errs.push("only divisor's values 1m and 1 are supported with the cpu resource");
  } else if (resource === 'limits.memory' || resource === 'requests.memory') {
    if (!DIVISOR_UNITS.includes(canonical)) errs.push(`only divisor's values ${units} are supported with the memory resource`);
  } else if (resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage') {
    if (!DIVISOR_UNITS.includes(canonical)) errs.push(`only divisor's values ${units} are supported with the local ephemeral storage resource`);
  }
  if (HUGEPAGES_PREFIXES.some((p) => resource.startsWith(p)) && !DIVISOR_UNITS.includes(canonical)) {
    errs.push(`only divisor's values ${units} are supported with the hugepages resource`);
  }
  return errs.map((m) => invalid(path, quote(resource), m));
}
