// The admissionregistration printers, as upstream's: webhook configurations
// count their webhooks; policies their validations and name their param kind;
// bindings their policy and param reference (a selector as the generated
// protobuf String() of a LabelSelector writes it).
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { age } from './duration.js';
import type { Printer } from './table.js';

const UNSET = '<unset>';

export const webhookConfigurationPrinter: Printer = {
  columns: [nameColumn, column('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration'), ageColumn],
  cells: (object, now) => [object.metadata.name ?? '', ((object as { webhooks?: unknown[] | null }).webhooks ?? []).length, age(object, now)],
};

export const validatingAdmissionPolicyPrinter: Printer = {
  columns: [
    nameColumn,
    column('Validations', 'integer', 'Validations indicates the number of validation rules defined in this configuration'),
    column('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy'),
    ageColumn,
  ],
  cells(object, now) {
    const spec = (object as unknown as ValidatingAdmissionPolicy).spec;
    const kind = spec?.paramKind;
    return [object.metadata.name ?? '', (spec?.validations ?? []).length, kind == null ? UNSET : `${kind.apiVersion ?? ''}/${kind.kind ?? ''}`, age(object, now)];
  },
};

export const validatingAdmissionPolicyBindingPrinter: Printer = {
  columns: [
    nameColumn,
    column('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to'),
    column('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param'),
    ageColumn,
  ],
  cells(object, now) {
    const spec = (object as unknown as ValidatingAdmissionPolicyBinding).spec;
    const ref = spec?.paramRef;
    let param = UNSET;
    // A name without a namespace may be cluster-scoped or in the request's namespace: upstream writes "*/".
    if (ref?.name) param = `${ref.namespace || '*'}/${ref.name}`;
    else if (ref?.selector != null) param = selectorString(ref.selector);
    return [object.metadata.name ?? '', spec?.policyName ?? '', param, age(object, now)];
  },
};

/** gogo protobuf's String() of a *metav1.LabelSelector: labels sorted, `%v` values, a trailing comma after each. */
function selectorString(selector: LabelSelector): string {
  const labels = selector.matchLabels ?? {};
  const matchLabels = Object.keys(labels)
    .sort()
    .map((k) => `${k}: ${labels[k]},`)
    .join('');
  const expressions = (selector.matchExpressions ?? [])
    .map((r) => `LabelSelectorRequirement{Key:${r.key},Operator:${r.operator},Values:[${(r.values ?? []).join(' ')}],},`)
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${matchLabels}},MatchExpressions:[]LabelSelectorRequirement{${expressions}},}`;
}
