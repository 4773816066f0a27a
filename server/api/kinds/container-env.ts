// A container's environment as upstream 1.31 validates it (ValidateEnv,
// validateEnvVarValueFrom, ValidateEnvFrom): names a shell can use
// (RelaxedEnvironmentVariableValidation is off); a valueFrom with exactly
// one source and no value beside it: a pod field the downward API exposes
// to env vars, a container resource, or a key of a ConfigMap or Secret; an
// envFrom of exactly one ConfigMap or Secret, its prefix a name too.
import type { ConfigMapKeySelector, EnvFromSource, EnvVar, SecretKeySelector } from 'kubernetes-types/core/v1.js';
import { checkName, nameErrors } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { configKeyCauses } from './config.js';
import { CONTAINER_RESOURCE_FIELDS, validateObjectFieldSelector, validateResourceFieldSelector } from './downward-api.js';
import { invalid, quote, required } from './field-errors.js';
import { chdirPrefixErrors } from './labels.js';

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ENV_NAME_MSG =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";
/** The pod fields an env var may hold (validEnvDownwardAPIFieldPathExpressions), sorted. */
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

/** IsEnvVarName. */
function envVarNameErrors(name: string): string[] {
  return [...(ENV_NAME.test(name) ? [] : [ENV_NAME_MSG]), ...chdirPrefixErrors(name)];
}

export function validateEnv(env: readonly EnvVar[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  env.forEach((v, i) => {
    const p = `${path}[${i}]`;
    if (!v.name) causes.push(required(`${p}.name`));
    else causes.push(...envVarNameErrors(v.name).map((m) => invalid(`${p}.name`, quote(v.name), m)));
    if (v.valueFrom != null) causes.push(...validateValueFrom(v, `${p}.valueFrom`));
  });
  return causes;
}

function validateValueFrom(v: EnvVar, path: string): StatusCause[] {
  const from = v.valueFrom!;
  const causes: StatusCause[] = [];
  let sources = 0;
  if (from.fieldRef != null) {
    sources++;
    causes.push(...validateObjectFieldSelector(from.fieldRef, ENV_FIELD_PATHS, `${path}.fieldRef`));
  }
  if (from.resourceFieldRef != null) {
    sources++;
    causes.push(...validateResourceFieldSelector(from.resourceFieldRef, CONTAINER_RESOURCE_FIELDS, `${path}.resourceFieldRef`, false));
  }
  if (from.configMapKeyRef != null) {
    sources++;
    causes.push(...validateKeySelector(from.configMapKeyRef, `${path}.configMapKeyRef`));
  }
  if (from.secretKeyRef != null) {
    sources++;
    causes.push(...validateKeySelector(from.secretKeyRef, `${path}.secretKeyRef`));
  }
  if (sources === 0) causes.push(invalid(path, '""', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  else if (v.value) causes.push(invalid(path, '""', 'may not be specified when `value` is not empty'));
  else if (sources > 1) causes.push(invalid(path, '""', 'may not have more than one field specified at a time'));
  return causes;
}

/** validateConfigMapKeySelector and validateSecretKeySelector: the name is checked even when empty. */
function validateKeySelector(selector: ConfigMapKeySelector | SecretKeySelector, path: string): StatusCause[] {
  const causes = checkName(selector.name ?? '', 'subdomain', `${path}.name`);
  if (!selector.key) causes.push(required(`${path}.key`));
  else causes.push(...configKeyCauses(selector.key, `${path}.key`));
  return causes;
}

export function validateEnvFrom(sources: readonly EnvFromSource[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  sources.forEach((source, i) => {
    const p = `${path}[${i}]`;
    if (source.prefix) causes.push(...envVarNameErrors(source.prefix).map((m) => invalid(`${p}.prefix`, quote(source.prefix!), m)));
    const refs = [
      ['configMapRef', source.configMapRef],
      ['secretRef', source.secretRef],
    ] as const;
    let count = 0;
    for (const [field, ref] of refs) {
      if (ref == null) continue;
      count++;
      const name = ref.name ?? '';
      if (name === '') causes.push(required(`${p}.${field}.name`));
      else causes.push(...nameErrors(maskTrailingDash(name), 'subdomain').map((m) => invalid(`${p}.${field}.name`, quote(name), m)));
    }
    // Upstream names the list, not the item, here.
    if (count === 0) causes.push(invalid(path, '""', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (count > 1) causes.push(invalid(path, '""', 'may not have more than one field specified at a time'));
  });
  return causes;
}

/**
 * NameIsDNSSubdomain with prefix set, as ValidateConfigMapName and
 * ValidateSecretName are called here: a trailing dash is masked first, so
 * "app-" passes (upstream's mask also drops the character before it).
 */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}
