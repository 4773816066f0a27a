// networking.k8s.io/v1 Ingresses, validated as upstream's
// pkg/apis/networking/validation does (Kubernetes 1.31): hosts are DNS names
// (a leading "*." allowed), paths absolute and clean for Exact and Prefix,
// each backend a Service (a DNS-1035 name and a port by name or number) or a
// resource, TLS hosts and secret names valid. On update, values upstream
// accepted before it tightened its checks (an invalid TLS secret name, an
// invalid rule under a wildcard host) stay accepted while they are there.
import { isIP } from 'node:net';
import type { HTTPIngressPath, IngressBackend, IngressRule, IngressSpec, IngressStatus } from 'kubernetes-types/networking/v1.js';
import type { KubeObject } from '../objects.js';
import { checkName } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { validatePortNumOrName } from './containers.js';
import { invalid, notSupported, quote, required } from './field-errors.js';
import { VALID_IP } from './ip-fields.js';

type Ingress = KubeObject & { spec?: IngressSpec; status?: IngressStatus };

const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const BAD_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const BAD_PATH_SUFFIXES = ['/..', '/.'];
const WILDCARD_SUBDOMAIN = /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const WILDCARD_MSG =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

interface Leniency {
  readonly invalidSecretNames: boolean;
  readonly invalidWildcardRules: boolean;
}

export const ingressRules: KindRules = {
  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const ingress = obj as Ingress;
    const spec = ingress.spec ?? {};
    const previous = (old as Ingress | undefined)?.spec;
    const leniency: Leniency = {
      invalidSecretNames: (previous?.tls ?? []).some((tls) => secretNameErrors(tls.secretName, '').length > 0),
      invalidWildcardRules: (previous?.rules ?? []).some((rule) => rule.host?.includes('*') === true && ruleValueErrors(rule, '').length > 0),
    };
    const causes = validateSpec(spec, leniency);
    const annotated = ingress.metadata.annotations?.[CLASS_ANNOTATION];
    if (old === undefined && annotated !== undefined && spec.ingressClassName != null && annotated !== spec.ingressClassName) {
      causes.push(invalid(`annotations.${CLASS_ANNOTATION}`, quote(annotated), 'must match `ingressClassName` when both are specified'));
    }
    return causes;
  },
  validateStatus(obj: KubeObject): StatusCause[] {
    const causes: StatusCause[] = [];
    ((obj as Ingress).status?.loadBalancer?.ingress ?? []).forEach((lb, i) => {
      const at = `status.loadBalancer.ingress[${i}]`;
      if (lb.ip && isIP(lb.ip) === 0) causes.push(invalid(`${at}.ip`, quote(lb.ip), VALID_IP));
      if (lb.hostname) {
        causes.push(...checkName(lb.hostname, 'subdomain', `${at}.hostname`));
        if (isIP(lb.hostname) !== 0) causes.push(invalid(`${at}.hostname`, quote(lb.hostname), 'must be a DNS name, not an IP address'));
      }
    });
    return causes;
  },
};

function validateSpec(spec: IngressSpec, leniency: Leniency): StatusCause[] {
  const causes: StatusCause[] = [];
  const rules = spec.rules ?? [];
  if (rules.length === 0 && spec.defaultBackend == null) {
    const value = spec.rules === undefined ? '[]networking.IngressRule(nil)' : '[]networking.IngressRule{}';
    causes.push(invalid('spec', value, 'either `defaultBackend` or `rules` must be specified'));
  }
  if (spec.defaultBackend != null) causes.push(...backendErrors(spec.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((rule, i) => {
    const at = `spec.rules[${i}]`;
    const host = rule.host ?? '';
    const wildcard = host.includes('*');
    if (host !== '') {
      if (isIP(host) !== 0) causes.push(invalid(`${at}.host`, quote(host), 'must be a DNS name, not an IP address'));
      causes.push(...hostErrors(host, `${at}.host`));
    }
    if (!wildcard || !leniency.invalidWildcardRules) causes.push(...ruleValueErrors(rule, at));
  });
  (spec.tls ?? []).forEach((tls, i) => {
    const at = `spec.tls[${i}]`;
    (tls.hosts ?? []).forEach((host, j) => causes.push(...hostErrors(host, `${at}.hosts[${j}]`)));
    if (!leniency.invalidSecretNames) causes.push(...secretNameErrors(tls.secretName, `${at}.secretName`));
  });
  if (spec.ingressClassName != null) causes.push(...checkName(spec.ingressClassName, 'subdomain', 'spec.ingressClassName'));
  return causes;
}

/** A DNS subdomain, or with "*" a wildcard one. */
function hostErrors(host: string, path: string): StatusCause[] {
  if (!host.includes('*')) return checkName(host, 'subdomain', path);
  const causes: StatusCause[] = [];
  if (host.length > 253) causes.push(invalid(path, quote(host), 'must be no more than 253 characters'));
  if (!WILDCARD_SUBDOMAIN.test(host)) causes.push(invalid(path, quote(host), WILDCARD_MSG));
  return causes;
}

function secretNameErrors(name: string | undefined, path: string): StatusCause[] {
  return name ? checkName(name, 'subdomain', path) : [];
}

function ruleValueErrors(rule: IngressRule, at: string): StatusCause[] {
  if (rule.http == null) return [];
  const paths = rule.http.paths ?? [];
  const causes = paths.length === 0 ? [required(`${at}.http.paths`)] : [];
  paths.forEach((p, i) => causes.push(...pathErrors(p, `${at}.http.paths[${i}]`)));
  return causes;
}

function pathErrors(p: HTTPIngressPath, at: string): StatusCause[] {
  if (p.pathType == null) return [required(`${at}.pathType`, 'pathType must be specified')];
  const causes: StatusCause[] = [];
  const path = p.path ?? '';
  const absolute = () => {
    if (!path.startsWith('/')) causes.push(invalid(`${at}.path`, quote(path), 'must be an absolute path'));
  };
  switch (p.pathType) {
    case 'Exact':
    case 'Prefix':
      absolute();
      for (const seq of BAD_PATH_SEQUENCES) if (path.includes(seq)) causes.push(invalid(`${at}.path`, quote(path), `must not contain '${seq}'`));
      for (const suffix of BAD_PATH_SUFFIXES) if (path.endsWith(suffix)) causes.push(invalid(`${at}.path`, quote(path), `cannot end with '${suffix}'`));
      break;
    case 'ImplementationSpecific':
      if (path !== '') absolute();
      break;
    default:
      causes.push(notSupported(`${at}.pathType`, quote(p.pathType), PATH_TYPES));
  }
  causes.push(...backendErrors(p.backend, `${at}.backend`));
  return causes;
}

function backendErrors(backend: IngressBackend | undefined, at: string): StatusCause[] {
  const service = backend?.service;
  const resource = backend?.resource;
  if (service != null && resource != null) return [invalid(at, '""', 'cannot set both resource and service backends')];
  if (resource != null) {
    const causes: StatusCause[] = [];
    if (resource.apiGroup != null) causes.push(...checkName(resource.apiGroup, 'subdomain', `${at}.resource.apiGroup`));
    causes.push(...(resource.kind ? checkName(resource.kind, 'path-segment', `${at}.resource.kind`) : [required(`${at}.resource.kind`)]));
    causes.push(...(resource.name ? checkName(resource.name, 'path-segment', `${at}.resource.name`) : [required(`${at}.resource.name`)]));
    return causes;
  }
  if (service == null) return [invalid(at, '""', 'resource or service backend is required')];
  const causes = service.name ? checkName(service.name, 'dns1035-label', `${at}.service.name`) : [required(`${at}.service.name`)];
  const name = service.port?.name ?? '';
  const number = service.port?.number ?? 0;
  if (name !== '' && number !== 0) causes.push(invalid(at, '""', 'cannot set both port name & port number'));
  else if (name !== '') causes.push(...validatePortNumOrName(name, `${at}.service.port.name`));
  else if (number !== 0) causes.push(...validatePortNumOrName(number, `${at}.service.port.number`));
  else causes.push(required(at, 'port name or number is required'));
  return causes;
}
