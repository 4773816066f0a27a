// Validation of CustomResourceDefinitions (apiextensions-apiserver's
// ValidateCustomResourceDefinition and ValidateCustomResourceDefinitionUpdate):
// the rules that keep a CRD servable, worded as upstream words them.
import type {
  CustomResourceColumnDefinition,
  CustomResourceDefinitionNames,
  CustomResourceDefinitionSpec,
  CustomResourceDefinitionVersion,
} from 'kubernetes-types/apiextensions/v1.js';
import { checkName } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { type Definition, isConditionTrue } from './definition.js';
import { invalid, notSupported, required } from '../kinds/field-errors.js';
import { checkStructural } from './structural-schema.js';

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const SCOPES = ['Cluster', 'Namespaced'];
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
// Webhook conversion needs a webhook client; versions here differ only in apiVersion.
const CONVERSION_STRATEGIES = ['None'];
const IMMUTABLE = 'field is immutable';

/** Causes for a 422; `old` is the stored CRD on update. */
export function validateDefinition(crd: Definition, old: Definition | undefined): StatusCause[] {
  // The body is the user's JSON: read it as possibly incomplete.
  const spec: Partial<CustomResourceDefinitionSpec> = isObject(crd.spec) ? crd.spec : {};
  const names: Partial<CustomResourceDefinitionNames> = isObject(spec.names) ? spec.names : {};
  const versions: CustomResourceDefinitionVersion[] = Array.isArray(spec.versions) ? spec.versions : [];
  const causes: StatusCause[] = [];

  const name = crd.metadata.name ?? '';
  if (name !== `${names.plural}.${spec.group}`) causes.push(invalid('metadata.name', JSON.stringify(name), 'must be spec.names.plural+"."+spec.group'));

  if (!spec.group) causes.push(required('spec.group'));
  else {
    const bad = checkName(spec.group, 'subdomain', 'spec.group');
    if (bad.length > 0) causes.push(...bad);
    else if (!spec.group.includes('.')) causes.push(invalid('spec.group', JSON.stringify(spec.group), 'should be a domain with at least one dot'));
  }

  if (!spec.scope) causes.push(required('spec.scope'));
  else if (!SCOPES.includes(spec.scope)) causes.push(notSupported('spec.scope', JSON.stringify(spec.scope), SCOPES));

  versions.forEach((v, i) => causes.push(...(isObject(v) ? checkVersion(v, `spec.versions[${i}]`) : [invalid(`spec.versions[${i}]`, JSON.stringify(v), 'must be an object')])));
  const versionNames = versions.map((v) => v?.name);
  if (new Set(versionNames).size !== versionNames.length) causes.push(invalid('spec.versions', JSON.stringify(versionNames), 'must contain unique version names'));
  if (versions.filter((v) => v?.storage === true).length !== 1) {
    causes.push(invalid('spec.versions', JSON.stringify(versionNames), 'must have exactly one version marked as storage version'));
  }

  for (const field of ['plural', 'singular', 'kind', 'listKind'] as const) if (!names[field]) causes.push(required(`spec.names.${field}`));
  causes.push(...checkNames(names));

  const strategy = spec.conversion?.strategy;
  if (strategy !== undefined && !CONVERSION_STRATEGIES.includes(strategy)) causes.push(notSupported('spec.conversion.strategy', JSON.stringify(strategy), CONVERSION_STRATEGIES));

  if (old !== undefined) causes.push(...checkUpdate(crd, spec, old, versionNames));
  return causes;
}

function checkVersion(v: CustomResourceDefinitionVersion, path: string): StatusCause[] {
  const causes = dns1035(`${path}.name`, v.name);
  const schema = v.schema?.openAPIV3Schema;
  if (schema === undefined || schema === null) causes.push(required(`${path}.schema.openAPIV3Schema`));
  else causes.push(...checkStructural(schema, `${path}.schema.openAPIV3Schema`));
  (v.additionalPrinterColumns ?? []).forEach((c, i) => causes.push(...checkColumn(c, `${path}.additionalPrinterColumns[${i}]`)));
  const scale = v.subresources?.scale;
  if (scale != null) {
    const at = `${path}.subresources.scale`;
    causes.push(...jsonPathUnder(`${at}.specReplicasPath`, scale.specReplicasPath, ['.spec.'], 'should be a json path under .spec'));
    causes.push(...jsonPathUnder(`${at}.statusReplicasPath`, scale.statusReplicasPath, ['.status.'], 'should be a json path under .status'));
    if (scale.labelSelectorPath) {
      causes.push(...jsonPathUnder(`${at}.labelSelectorPath`, scale.labelSelectorPath, ['.spec.', '.status.'], 'should be a json path under either .spec or .status'));
    }
  }
  return causes;
}

function checkColumn(c: CustomResourceColumnDefinition, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!c.name) causes.push(required(`${path}.name`));
  const types = `must be one of ${COLUMN_TYPES.join(',')}`;
  if (!c.type) causes.push(required(`${path}.type`, types));
  else if (!COLUMN_TYPES.includes(c.type)) causes.push(invalid(`${path}.type`, JSON.stringify(c.type), types));
  if (c.format && !COLUMN_FORMATS.includes(c.format)) causes.push(invalid(`${path}.format`, JSON.stringify(c.format), `must be one of ${COLUMN_FORMATS.join(',')}`));
  if (!c.jsonPath) causes.push(required(`${path}.JSONPath`));
  else if (!c.jsonPath.startsWith('.')) causes.push(invalid(`${path}.JSONPath`, JSON.stringify(c.jsonPath), 'must be a simple json path starting with .'));
  return causes;
}

/** validateSimpleJSONPath, and the prefix a scale path must have. */
function jsonPathUnder(path: string, value: string | undefined, prefixes: readonly string[], detail: string): StatusCause[] {
  if (!value) return [required(path)];
  if (!value.startsWith('.')) return [invalid(path, JSON.stringify(value), 'must be a simple json path starting with .')];
  return prefixes.some((p) => value.startsWith(p)) ? [] : [invalid(path, JSON.stringify(value), detail)];
}

function checkNames(names: Partial<CustomResourceDefinitionNames>): StatusCause[] {
  const causes: StatusCause[] = [];
  if (names.plural) causes.push(...dns1035('spec.names.plural', names.plural));
  if (names.singular) causes.push(...dns1035('spec.names.singular', names.singular));
  for (const field of ['kind', 'listKind'] as const) {
    const value = names[field];
    if (value) causes.push(...checkKindName(`spec.names.${field}`, value));
  }
  (names.shortNames ?? []).forEach((s, i) => causes.push(...dns1035(`spec.names.shortNames[${i}]`, s)));
  if (names.kind && names.kind === names.listKind) causes.push(invalid('spec.names.listKind', JSON.stringify(names.listKind), 'kind and listKind may not be the same'));
  (names.categories ?? []).forEach((c, i) => causes.push(...dns1035(`spec.names.categories[${i}]`, c)));
  return causes;
}

/** What cannot change once stored: the group and plural (they are the name); the scope and kind once served; versions that hold data. */
function checkUpdate(crd: Definition, spec: Partial<CustomResourceDefinitionSpec>, old: Definition, versionNames: readonly string[]): StatusCause[] {
  const causes: StatusCause[] = [];
  const immutable = (path: string, now: unknown, before: unknown) => {
    if (now !== before) causes.push(invalid(path, JSON.stringify(now), IMMUTABLE));
  };
  if (isConditionTrue(old, 'Established')) {
    immutable('spec.scope', spec.scope, old.spec.scope);
    immutable('spec.names.kind', spec.names?.kind, old.spec.names.kind);
  }
  immutable('spec.group', spec.group, old.spec.group);
  immutable('spec.names.plural', spec.names?.plural, old.spec.names.plural);
  (crd.status?.storedVersions ?? []).forEach((v, i) => {
    if (!versionNames.includes(v)) {
      causes.push(
        invalid(
          `status.storedVersions[${i}]`,
          JSON.stringify(v),
          `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`,
        ),
      );
    }
  });
  return causes;
}

/** A kind: a DNS-1035 label but for its case. */
export function checkKindName(path: string, value: string): StatusCause[] {
  if (dns1035(path, value.toLowerCase()).length === 0) return [];
  return [invalid(path, JSON.stringify(value), `may have mixed case, but should otherwise match: ${DNS1035_MESSAGE}`)];
}

/** IsDNS1035Label, as a cause on `path`. */
function dns1035(path: string, value: string | undefined): StatusCause[] {
  const problems: string[] = [];
  const text = value ?? '';
  if (text.length > 63) problems.push('must be no more than 63 characters');
  if (!DNS1035_LABEL.test(text)) problems.push(DNS1035_MESSAGE);
  return problems.length === 0 ? [] : [invalid(path, JSON.stringify(text), problems.join(','))];
}

function isObject<T>(value: T | undefined): value is T {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
