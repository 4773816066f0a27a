// networking.k8s.io/v1 IngressClasses, as upstream's defaults and
// ValidateIngressClass/ValidateIngressClassUpdate treat them (Kubernetes
// 1.31): a controller named by a domain-prefixed path of at most 250 bytes,
// never changed; parameters naming a kind and an object, cluster-scoped
// unless they say Namespace (and then in which namespace).
import type { IngressClass } from 'kubernetes-types/networking/v1.js';
import type { KubeObject } from '../objects.js';
import { checkName } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { forbidden, IMMUTABLE, invalid, notSupported, quote, required, tooLong } from './field-errors.js';

type IngressClassObject = KubeObject & IngressClass;

const MAX_CONTROLLER_BYTES = 250;
const SCOPES = ['Cluster', 'Namespace'];
const HTTP_PATH = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
const HTTP_PATH_MSG = "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')";

export const ingressClassRules: KindRules = {
  defaults(obj) {
    const parameters = (obj as IngressClassObject).spec?.parameters;
    if (parameters != null) parameters.scope ??= 'Cluster';
  },
  validate(obj, old) {
    const spec = (obj as IngressClassObject).spec ?? {};
    const causes: StatusCause[] = [];
    if (old !== undefined) {
      const before = (old as IngressClassObject).spec?.controller ?? '';
      if ((spec.controller ?? '') !== before) causes.push(invalid('spec.controller', quote(spec.controller ?? ''), IMMUTABLE));
    }
    const controller = spec.controller ?? '';
    if (Buffer.byteLength(controller) > MAX_CONTROLLER_BYTES) causes.push(tooLong('spec.controller', MAX_CONTROLLER_BYTES));
    causes.push(...domainPrefixedPathErrors(controller, 'spec.controller'));
    if (spec.parameters != null) causes.push(...parametersErrors(spec.parameters, 'spec.parameters'));
    return causes;
  },
};

/** IsDomainPrefixedPath: "acme.io/foo", a DNS subdomain, a slash and an HTTP path. */
function domainPrefixedPathErrors(value: string, path: string): StatusCause[] {
  if (value === '') return [required(path)];
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) return [invalid(path, quote(value), 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const causes = checkName(value.slice(0, slash), 'subdomain', path);
  const rest = value.slice(slash + 1);
  if (!HTTP_PATH.test(rest)) causes.push(invalid(path, quote(rest), HTTP_PATH_MSG));
  return causes;
}

type Parameters = NonNullable<NonNullable<IngressClass['spec']>['parameters']>;

/** validateIngressClassParametersReference. */
function parametersErrors(params: Parameters, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (params.apiGroup != null) causes.push(...checkName(params.apiGroup, 'subdomain', `${path}.apiGroup`));
  causes.push(...(params.kind ? checkName(params.kind, 'path-segment', `${path}.kind`) : [required(`${path}.kind`, 'kind is required')]));
  causes.push(...(params.name ? checkName(params.name, 'path-segment', `${path}.name`) : [required(`${path}.name`, 'name is required')]));
  if (params.scope == null) return [...causes, required(`${path}.scope`)];
  if (!SCOPES.includes(params.scope)) causes.push(notSupported(`${path}.scope`, quote(params.scope), SCOPES));
  else if (params.scope === 'Namespace') {
    if (params.namespace == null) causes.push(required(`${path}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    else causes.push(...checkName(params.namespace, 'label', `${path}.namespace`));
  } else if (params.namespace != null) {
    causes.push(forbidden(`${path}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  }
  return causes;
}
