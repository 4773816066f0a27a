// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies and their
// bindings, as upstream 1.31's v1 defaults and validation treat their
// structure: a failure policy, a param kind that names a group/version and
// kind, match constraints with at least one resource rule, validations or
// audit annotations, variables named as CEL identifiers; a binding's policy
// name, param reference (a name or a selector) and validation actions. CEL
// expressions are required but not compiled, and no policy is evaluated:
// they are stored and served only. A policy's status is the controller's
// (none runs here): it starts empty and its writes are checked as upstream's.
import type {
  AuditAnnotation,
  ParamKind,
  ParamRef,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
  ValidatingAdmissionPolicySpec,
  Validation,
  Variable,
} from 'kubernetes-types/admissionregistration/v1.js';
import type { KubeObject } from '../objects.js';
import { nameErrors, pathSegmentErrors } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { FAILURE_POLICIES, goTypedStrings, matchResourcesDefaults, validateMatchConditions, validateMatchResources } from './admission-rules.js';
import { validateConditions } from './conditions.js';
import { semanticEqual } from './equality.js';
import { duplicate, forbidden, invalid, notSupported, quote, required } from './field-errors.js';
import { validateLabelSelector, validateQualifiedName } from './labels.js';

type PolicyObject = KubeObject & ValidatingAdmissionPolicy;
type BindingObject = KubeObject & ValidatingAdmissionPolicyBinding;

const REASONS = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'];
const ACTIONS = ['Audit', 'Deny', 'Warn'];
const NOT_FOUND_ACTIONS = ['Deny', 'Allow'];
const MAX_AUDIT_ANNOTATIONS = 20;
const MAX_VALUE_EXPRESSION = 5 * 1024;
const CEL_IDENTIFIER = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const CEL_RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

export const validatingAdmissionPolicyRules: KindRules = {
  defaults(obj, old) {
    const policy = obj as PolicyObject;
    const spec = (policy.spec ??= {});
    spec.failurePolicy ??= 'Fail';
    if (spec.matchConstraints != null) matchResourcesDefaults(spec.matchConstraints);
    // PrepareForCreate: the status is the controller's.
    if (old === undefined) (policy as { status?: unknown }).status = {};
  },
  validate(obj, old) {
    const spec = (obj as PolicyObject).spec ?? {};
    const before = (old as PolicyObject | undefined)?.spec ?? {};
    // An update that leaves the param kind and match conditions alone does not check the conditions again.
    const checkConditions = old === undefined || !semanticEqual(spec.paramKind, before.paramKind) || !semanticEqual(spec.matchConditions, before.matchConditions);
    return validatePolicySpec(spec, obj.metadata.name ?? '', checkConditions);
  },
  validateStatus(obj) {
    const status = (obj as PolicyObject).status ?? {};
    const causes: StatusCause[] = [];
    (status.typeChecking?.expressionWarnings ?? []).forEach((warning, i) => {
      const path = `status.typeChecking.expressionWarnings[${i}]`;
      if (!warning.warning) causes.push(required(`${path}.warning`));
      if ((warning.fieldRef ?? '').trim() === '') causes.push(required(`${path}.fieldRef`));
    });
    return [...causes, ...validateConditions(status.conditions ?? [], 'status.conditions')];
  },
};

export const validatingAdmissionPolicyBindingRules: KindRules = {
  defaults(obj) {
    const spec = ((obj as BindingObject).spec ??= {});
    if (spec.matchResources != null) matchResourcesDefaults(spec.matchResources);
  },
  validate(obj) {
    const spec = (obj as BindingObject).spec ?? {};
    const causes: StatusCause[] = [];
    const policyName = spec.policyName ?? '';
    if (policyName === '') causes.push(required('spec.policyName'));
    else causes.push(...nameErrors(policyName, 'subdomain').map((m) => invalid('spec.policyName', quote(policyName), m)));
    if (spec.paramRef != null) causes.push(...validateParamRef(spec.paramRef, 'spec.paramRef'));
    // Upstream's path, misspelt.
    if (spec.matchResources != null) causes.push(...validateMatchResources(spec.matchResources, 'spec.matchResouces'));
    causes.push(...validateActions(spec.validationActions ?? [], 'spec.validationActions'));
    return causes;
  },
};

/** validateValidatingAdmissionPolicySpec, its CEL left uncompiled. */
function validatePolicySpec(spec: ValidatingAdmissionPolicySpec, name: string, checkConditions: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (spec.failurePolicy == null) causes.push(required('spec.failurePolicy'));
  else if (!FAILURE_POLICIES.includes(spec.failurePolicy)) causes.push(notSupported('spec.failurePolicy', quote(spec.failurePolicy), FAILURE_POLICIES));
  if (spec.paramKind != null) causes.push(...validateParamKind(spec.paramKind, 'spec.paramKind'));
  if (spec.matchConstraints == null) causes.push(required('spec.matchConstraints'));
  else {
    causes.push(...validateMatchResources(spec.matchConstraints, 'spec.matchConstraints'));
    if ((spec.matchConstraints.resourceRules ?? []).length === 0) causes.push(required('spec.matchConstraints.resourceRules'));
  }
  if (checkConditions) causes.push(...validateMatchConditions(spec.matchConditions ?? [], 'spec.matchConditions'));
  (spec.variables ?? []).forEach((v, i) => causes.push(...validateVariable(v, `spec.variables[${i}]`)));
  const validations = spec.validations ?? [];
  const annotations = spec.auditAnnotations ?? [];
  if (validations.length === 0 && annotations.length === 0) {
    const detail = 'validations or auditAnnotations must contain at least one item';
    return [...causes, required('spec.validations', detail), required('spec.auditAnnotations', detail)];
  }
  validations.forEach((v, i) => causes.push(...validateValidation(v, `spec.validations[${i}]`)));
  if (annotations.length > MAX_AUDIT_ANNOTATIONS) {
    causes.push(invalid('spec.auditAnnotations', goAuditAnnotations(annotations), `must not have more than ${MAX_AUDIT_ANNOTATIONS} auditAnnotations`));
  }
  const keys = new Set<string>();
  annotations.forEach((a, i) => {
    causes.push(...validateAuditAnnotation(a, name, `spec.auditAnnotations[${i}]`));
    if (keys.has(a.key ?? '')) causes.push(duplicate(`spec.auditAnnotations[${i}].key`, quote(a.key ?? '')));
    keys.add(a.key ?? '');
  });
  return causes;
}

/** validateParamKind: "group/version" (the group a DNS subdomain, the version a DNS-1035 label) and a kind that is one in lower case. */
function validateParamKind(kind: ParamKind, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const apiVersion = kind.apiVersion ?? '';
  if (apiVersion === '') causes.push(required(`${path}.apiVersion`));
  else if (apiVersion.split('/').length > 2) causes.push(invalid(`${path}.apiVersion`, quote(apiVersion), `unexpected GroupVersion string: ${apiVersion}`));
  else {
    const [group, version] = apiVersion === '/' ? ['', ''] : apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
    const groupErrors = group === '' ? [] : nameErrors(group, 'subdomain');
    if (groupErrors.length > 0) causes.push(invalid(`${path}.apiVersion`, quote(group), groupErrors.join(',')));
    const versionErrors = nameErrors(version, 'dns1035-label');
    if (version === '') causes.push(invalid(`${path}.apiVersion`, quote(apiVersion), 'version must be specified'));
    else if (versionErrors.length > 0) causes.push(invalid(`${path}.apiVersion`, quote(version), versionErrors.join(',')));
  }
  const kindName = kind.kind ?? '';
  if (kindName === '') causes.push(required(`${path}.kind`));
  else {
    const errs = nameErrors(kindName.toLowerCase(), 'dns1035-label');
    if (errs.length > 0) causes.push(invalid(`${path}.kind`, quote(kindName), `may have mixed case, but should otherwise match: ${errs.join(',')}`));
  }
  return causes;
}

function validateVariable(variable: Variable, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = variable.name ?? '';
  if (name.trim() === '') causes.push(required(`${path}.name`, 'name is not specified'));
  else if (!CEL_IDENTIFIER.test(name) || CEL_RESERVED.has(name)) causes.push(invalid(`${path}.name`, quote(name), 'name is not a valid CEL identifier'));
  if ((variable.expression ?? '').trim() === '') causes.push(required(`${path}.expression`, 'expression is not specified'));
  return causes;
}

function validateValidation(validation: Validation, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if ((validation.expression ?? '').trim() === '') causes.push(required(`${path}.expression`, 'expression is not specified'));
  const messageExpression = validation.messageExpression ?? '';
  if (messageExpression !== '' && messageExpression.trim() === '') causes.push(invalid(`${path}.messageExpression`, quote(messageExpression), 'must be non-empty if specified'));
  const message = validation.message ?? '';
  if (message !== '' && message.trim() === '') causes.push(invalid(`${path}.message`, quote(message), 'message must be non-empty if specified'));
  else if (/[\n\r]/.test(message.trim())) causes.push(invalid(`${path}.message`, quote(message), 'message must not contain line breaks'));
  if (validation.reason != null && !REASONS.includes(validation.reason)) causes.push(notSupported(`${path}.reason`, quote(validation.reason), REASONS));
  return causes;
}

/** The key joins the policy's name as an audit annotation key: `<name>/<key>` must be a qualified name. */
function validateAuditAnnotation(annotation: AuditAnnotation, policyName: string, path: string): StatusCause[] {
  const key = annotation.key ?? '';
  const causes =
    policyName === '' ? [invalid(`${path}.key`, quote(key), 'requires metadata.name be non-empty')] : validateQualifiedName(`${policyName}/${key}`, `${path}.key`);
  const expression = (annotation.valueExpression ?? '').trim();
  if (expression === '') causes.push(required(`${path}.valueExpression`, 'valueExpression is not specified'));
  else if (Buffer.byteLength(expression) > MAX_VALUE_EXPRESSION) causes.push(required(`${path}.valueExpression`, `must not exceed ${MAX_VALUE_EXPRESSION} bytes in length`));
  return causes;
}

/** validateParamRef: a name (a path segment) or a selector, not both; what to do when no param is found. */
function validateParamRef(ref: ParamRef, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = ref.name ?? '';
  const exclusive = 'name and selector are mutually exclusive';
  if (name !== '') {
    causes.push(...pathSegmentErrors(name).map((m) => invalid(`${path}.name`, quote(name), m)));
    if (ref.selector != null) causes.push(forbidden(`${path}.name`, exclusive));
  }
  if (ref.selector != null) {
    causes.push(...validateLabelSelector(ref.selector, `${path}.selector`));
    if (name !== '') causes.push(forbidden(`${path}.selector`, exclusive));
  }
  if (name === '' && ref.selector == null) causes.push(required(path, 'one of name or selector must be specified'));
  const action = ref.parameterNotFoundAction ?? '';
  if (action === '') causes.push(required(`${path}.parameterNotFoundAction`));
  else if (!NOT_FOUND_ACTIONS.includes(action)) causes.push(notSupported(`${path}.parameterNotFoundAction`, quote(action), NOT_FOUND_ACTIONS));
  return causes;
}

/** validateValidationActions: known, each once, at least one, not Deny beside Warn. */
function validateActions(actions: readonly string[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  actions.forEach((action, i) => {
    if (!ACTIONS.includes(action)) causes.push(notSupported(`${path}[${i}]`, quote(action), ACTIONS));
    if (seen.has(action)) causes.push(duplicate(`${path}[${i}]`, quote(action)));
    seen.add(action);
  });
  if (seen.has('Deny') && seen.has('Warn')) {
    causes.push(
      invalid(
        path,
        goTypedStrings('ValidationAction', actions),
        'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
      ),
    );
  }
  if (seen.size === 0) causes.push(required(path, 'at least one validation action is required'));
  return causes;
}

/** %#v of the audit annotations. */
function goAuditAnnotations(annotations: readonly AuditAnnotation[]): string {
  const item = (a: AuditAnnotation) => `admissionregistration.AuditAnnotation{Key:${quote(a.key ?? '')}, ValueExpression:${quote(a.valueExpression ?? '')}}`;
  return `[]admissionregistration.AuditAnnotation{${annotations.map(item).join(', ')}}`;
}
