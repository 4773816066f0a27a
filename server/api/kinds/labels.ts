// Names, label maps and label selectors (apimachinery validation,
// LabelSelectorAsSelector), with upstream's messages and its %#v rendering
// of selectors.
import type { LabelSelector, LabelSelectorRequirement } from 'kubernetes-types/meta/v1.js';
import { nameErrors } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { forbidden, goStringMap, goStrings, invalid, quote, required, sortedKeys } from './field-errors.js';

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** IsQualifiedName: label keys, annotation keys, condition types. */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) {
    return [`a qualified name ${QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const errs: string[] = [];
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') errs.push('prefix part must be non-empty');
    else errs.push(...nameErrors(prefix, 'subdomain').map((m) => `prefix part ${m}`));
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${QUALIFIED_NAME_MSG}`);
  return errs;
}

/** hasChDirPrefix: names that would be relative paths once used as file names. */
export function chdirPrefixErrors(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  return value.startsWith('..') ? ["must not start with '..'"] : [];
}

export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) errs.push(LABEL_VALUE_MSG);
  return errs;
}

/** ValidateLabelName: every message is its own cause on the same path. */
export function validateQualifiedName(name: string, field: string): StatusCause[] {
  return qualifiedNameErrors(name).map((m) => invalid(field, quote(name), m));
}

/** ValidateAnnotations' key check: qualified names, compared in lower case. */
export function validateAnnotationKeys(annotations: Readonly<Record<string, string>> | undefined, path: string): StatusCause[] {
  return sortedKeys(annotations).flatMap((key) => qualifiedNameErrors(key.toLowerCase()).map((m) => invalid(path, quote(key), m)));
}

/** ValidateLabels: causes carry the map's path, not the key's. */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const key of sortedKeys(labels)) {
    causes.push(...validateQualifiedName(key, field));
    const value = labels![key]!;
    causes.push(...labelValueErrors(value).map((m) => invalid(field, quote(value), m)));
  }
  return causes;
}

/**
 * ValidateLabelSelector. Expressions' values are label values unless
 * `allowInvalidValues` (AllowInvalidLabelValueInSelector: pods whose stored
 * affinity already broke the rule); matchLabels are always checked.
 */
export function validateLabelSelector(selector: LabelSelector | undefined | null, field: string, allowInvalidValues = false): StatusCause[] {
  if (selector === undefined || selector === null) return [];
  const causes = validateLabels(selector.matchLabels, `${field}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((req, i) => causes.push(...validateRequirement(req, `${field}.matchExpressions[${i}]`, allowInvalidValues)));
  return causes;
}

function validateRequirement(req: LabelSelectorRequirement, field: string, allowInvalidValues: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) causes.push(required(`${field}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) causes.push(forbidden(`${field}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      causes.push(invalid(`${field}.operator`, quote(req.operator), 'not a valid selector operator'));
  }
  causes.push(...validateQualifiedName(req.key, `${field}.key`));
  if (!allowInvalidValues) values.forEach((v, i) => causes.push(...labelValueErrors(v).map((m) => invalid(`${field}.values[${i}]`, quote(v), m))));
  return causes;
}

export type Selector = (labels: Readonly<Record<string, string>> | undefined) => boolean;

/**
 * LabelSelectorAsSelector: a missing selector selects nothing, an empty one
 * everything; undefined when the selector cannot be built.
 */
export function asSelector(selector: LabelSelector | undefined): Selector | undefined {
  if (selector === undefined) return () => false;
  if (validateLabelSelector(selector, '').length > 0) return undefined;
  const matchLabels = selector.matchLabels ?? {};
  const expressions = selector.matchExpressions ?? [];
  return (labels) => {
    const has = (key: string): boolean => labels !== undefined && Object.hasOwn(labels, key);
    for (const [key, value] of Object.entries(matchLabels)) if (!has(key) || labels![key] !== value) return false;
    for (const req of expressions) {
      const values = req.values ?? [];
      const ok =
        req.operator === 'In'
          ? has(req.key) && values.includes(labels![req.key]!)
          : req.operator === 'NotIn'
            ? !has(req.key) || !values.includes(labels![req.key]!)
            : req.operator === 'Exists'
              ? has(req.key)
              : !has(req.key);
      if (!ok) return false;
    }
    return true;
  };
}

/** True for a selector with neither matchLabels nor matchExpressions (it selects everything). */
export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0;
}

/** %#v of a *metav1.LabelSelector, as "field is immutable" errors show it. */
export function goLabelSelector(selector: LabelSelector | undefined): string {
  if (selector === undefined) return 'null';
  const exprs =
    selector.matchExpressions === undefined
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${selector.matchExpressions
          .map((r) => `v1.LabelSelectorRequirement{Key:${quote(r.key)}, Operator:${quote(r.operator)}, Values:${goStrings(r.values)}}`)
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${goStringMap(selector.matchLabels)}, MatchExpressions:${exprs}}`;
}
