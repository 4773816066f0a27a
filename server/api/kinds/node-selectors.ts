// Node selectors (a PersistentVolume's nodeAffinity.required, a pod's
// required node affinity, the terms of its preferred one) as upstream's
// ValidateNodeSelector and ValidateNodeSelectorTerm check them in 1.31:
// operators and their values, label keys, and the one field a term may match
// (metadata.name). Label values are not checked: that came in 1.32.
import type { NodeSelector, NodeSelectorRequirement, NodeSelectorTerm } from 'kubernetes-types/core/v1.js';
import { checkName } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { forbidden, invalid, quote, required } from './field-errors.js';
import { validateQualifiedName } from './labels.js';

/** ValidateNodeSelector: at least one term, each requirement valid. */
export function validateNodeSelector(selector: NodeSelector, path: string): StatusCause[] {
  const termsPath = `${path}.nodeSelectorTerms`;
  const terms = selector.nodeSelectorTerms ?? [];
  if (terms.length === 0) return [required(termsPath, 'must have at least one node selector term')];
  return terms.flatMap((term, i) => validateNodeSelectorTerm(term, `${termsPath}[${i}]`));
}

/** ValidateNodeSelectorTerm: its expressions, then its fields. */
export function validateNodeSelectorTerm(term: NodeSelectorTerm, path: string): StatusCause[] {
  return [
    ...(term.matchExpressions ?? []).flatMap((req, j) => validateRequirement(req, `${path}.matchExpressions[${j}]`)),
    ...(term.matchFields ?? []).flatMap((req, j) => validateFieldRequirement(req, `${path}.matchFields[${j}]`)),
  ];
}

/** ValidateNodeSelectorRequirement. */
function validateRequirement(req: NodeSelectorRequirement, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) causes.push(required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) causes.push(forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) causes.push(required(`${path}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      causes.push(invalid(`${path}.operator`, quote(req.operator ?? ''), 'not a valid selector operator'));
  }
  causes.push(...validateQualifiedName(req.key ?? '', `${path}.key`));
  return causes;
}

/** ValidateNodeFieldSelectorRequirement: only metadata.name, with In or NotIn and one node name. */
function validateFieldRequirement(req: NodeSelectorRequirement, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const values = req.values ?? [];
  if (req.operator === 'In' || req.operator === 'NotIn') {
    if (values.length !== 1) causes.push(required(`${path}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    causes.push(invalid(`${path}.operator`, quote(req.operator ?? ''), 'not a valid selector operator'));
  }
  if (req.key !== 'metadata.name') causes.push(invalid(`${path}.key`, quote(req.key ?? ''), 'not a valid field selector key'));
  else values.forEach((v, i) => causes.push(...checkName(v, 'subdomain', `${path}.values[${i}]`)));
  return causes;
}
