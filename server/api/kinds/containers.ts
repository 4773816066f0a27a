// Containers of any pod spec (regular, init, ephemeral; in pods and in
// templates): SetDefaults_Container and its members, and upstream's
// validateContainerCommon with the probe, port, env, volume mount and
// device, resource and security-context checks.
import type { Container, ContainerPort, HTTPGetAction, Probe, ResourceRequirements, Volume } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import { checkName } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import {
  duplicate,
  forbidden,
  inclusiveRange,
  invalid,
  nonNegative,
  notSupported,
  quote,
  required,
  sortedKeys,
} from './field-errors.js';
import { validateEnv, validateEnvFrom } from './container-env.js';
import { validateSecurityContext } from './security-context.js';
import { validateVolumeDevices, validateVolumeMounts } from './volume-mounts.js';
import { compare } from '../../../common/quantity.js';
import {
  decodeResourceList,
  isOvercommitAllowed,
  quantityOf,
  type ResourceList,
  validateContainerResourceName,
  validateResourceQuantityValue,
} from './resource-lists.js';

export function containerDefaults(c: Container, owner: KubeObject): void {
  c.imagePullPolicy ||= imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  for (const port of c.ports ?? []) port.protocol ||= 'TCP';
  for (const env of c.env ?? []) if (env.valueFrom?.fieldRef) env.valueFrom.fieldRef.apiVersion ||= 'v1';
  // ResourceRequirements is a struct upstream, never nil: it serializes as {}.
  const resources = (c.resources ??= {});
  decodeResourceList(resources.limits, owner);
  decodeResourceList(resources.requests, owner);
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (probe) probeDefaults(probe);
  for (const handler of [c.lifecycle?.postStart, c.lifecycle?.preStop]) if (handler?.httpGet) httpGetDefaults(handler.httpGet);
}

/** The tag ParseImageName finds: "latest" when there is neither tag nor digest; undefined for a reference it cannot parse. */
function imageTag(image: string | undefined): string | undefined {
  const m = IMAGE_REFERENCE.exec(image ?? '');
  if (m === null || m[1]!.length > 255 || /^[a-f0-9]{64}$/.test(image!)) return undefined;
  return m[2] ?? (m[3] === undefined ? 'latest' : '');
}

// distribution/reference's grammar: [domain[:port]/]path[:tag][@digest], lower-case paths.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const IMAGE_REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?$`,
);

function probeDefaults(probe: Probe): void {
  probe.timeoutSeconds ||= 1;
  probe.periodSeconds ||= 10;
  probe.successThreshold ||= 1;
  probe.failureThreshold ||= 3;
  if (probe.httpGet) httpGetDefaults(probe.httpGet);
}

function httpGetDefaults(action: HTTPGetAction): void {
  action.path ||= '/';
  action.scheme ||= 'HTTP';
}

// --- validation -----------------------------------------------------------

export interface ContainerContext {
  /** The pod's valid volumes by name, for volumeMounts and volumeDevices. */
  readonly volumes: ReadonlyMap<string, Volume>;
}

/** validateContainerCommon: what every container kind must satisfy. */
export function validateContainer(c: Container, path: string, ctx: ContainerContext): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!c.name) causes.push(required(`${path}.name`));
  else causes.push(...checkName(c.name, 'label', `${path}.name`));
  if (!c.image) causes.push(required(`${path}.image`));
  if (c.terminationMessagePolicy !== 'File' && c.terminationMessagePolicy !== 'FallbackToLogsOnError') {
    causes.push(notSupported(`${path}.terminationMessagePolicy`, quote(c.terminationMessagePolicy ?? ''), ['File', 'FallbackToLogsOnError']));
  }
  causes.push(...validatePorts(c.ports ?? [], `${path}.ports`));
  causes.push(...validateEnv(c.env ?? [], `${path}.env`));
  causes.push(...validateEnvFrom(c.envFrom ?? [], `${path}.envFrom`));
  causes.push(...validateVolumeMounts(c, `${path}.volumeMounts`, ctx.volumes));
  causes.push(...validateVolumeDevices(c, `${path}.volumeDevices`, ctx.volumes));
  if (!['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy ?? '')) {
    causes.push(notSupported(`${path}.imagePullPolicy`, quote(c.imagePullPolicy ?? ''), ['Always', 'IfNotPresent', 'Never']));
  }
  causes.push(...validateResources(c.resources ?? {}, `${path}.resources`));
  causes.push(...validateSecurityContext(c.securityContext, `${path}.securityContext`));
  return causes;
}

/** Lifecycle hooks and probes, where a container may have them; a hook's sleep must end within the pod's grace period. */
export function validateProbesAndHooks(c: Container, path: string, gracePeriod: number): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [hook, handler] of [['postStart', c.lifecycle?.postStart], ['preStop', c.lifecycle?.preStop]] as const) {
    if (handler) causes.push(...validateHandler(handler, `${path}.lifecycle.${hook}`, gracePeriod));
  }
  for (const [name, probe] of [['livenessProbe', c.livenessProbe], ['readinessProbe', c.readinessProbe], ['startupProbe', c.startupProbe]] as const) {
    if (probe === undefined) continue;
    const probePath = `${path}.${name}`;
    causes.push(...validateProbe(probe, probePath));
    if (name === 'readinessProbe') {
      if (probe.terminationGracePeriodSeconds !== undefined) {
        causes.push(invalid(`${probePath}.terminationGracePeriodSeconds`, String(probe.terminationGracePeriodSeconds), 'must not be set for readinessProbes'));
      }
    } else if (probe.successThreshold !== 1) {
      causes.push(invalid(`${probePath}.successThreshold`, String(probe.successThreshold ?? 0), 'must be 1'));
    }
  }
  return causes;
}

/** The probes and hooks an init container without restartPolicy Always may not have. */
export const INIT_FORBIDDEN = ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const;

function validateProbe(probe: Probe, path: string): StatusCause[] {
  const causes = validateHandler(probe, path, undefined);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    causes.push(...nonNegative(`${path}.${f}`, probe[f]));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    causes.push(invalid(`${path}.terminationGracePeriodSeconds`, String(probe.terminationGracePeriodSeconds), 'must be greater than 0'));
  }
  return causes;
}

type Handler = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket' | 'grpc'> & { sleep?: { seconds?: number } };

/** validateHandler: exactly one handler type, each well formed. Only hooks sleep, so only they pass a grace period. */
function validateHandler(handler: Handler, path: string, gracePeriod: number | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  let count = 0;
  const one = (kind: string, check: () => StatusCause[]): void => {
    if (count > 0) causes.push(forbidden(`${path}.${kind}`, 'may not specify more than 1 handler type'));
    else {
      count++;
      causes.push(...check());
    }
  };
  if (handler.exec) {
    const exec = handler.exec;
    one('exec', () => ((exec.command ?? []).length === 0 ? [required(`${path}.exec.command`)] : []));
  }
  if (handler.httpGet) {
    const http = handler.httpGet;
    one('httpGet', () => [
      ...(http.path ? [] : [required(`${path}.httpGet.path`)]),
      ...validatePortNumOrName(http.port, `${path}.httpGet.port`),
      ...(['HTTP', 'HTTPS'].includes(http.scheme ?? '') ? [] : [notSupported(`${path}.httpGet.scheme`, quote(http.scheme ?? ''), ['HTTP', 'HTTPS'])]),
      ...(http.httpHeaders ?? []).flatMap((header) => (HTTP_HEADER_NAME.test(header.name) ? [] : [invalid(`${path}.httpGet.httpHeaders`, quote(header.name), HTTP_HEADER_NAME_MSG)])),
    ]);
  }
  if (handler.tcpSocket) {
    const tcp = handler.tcpSocket;
    one('tcpSocket', () => validatePortNumOrName(tcp.port, `${path}.tcpSocket.port`));
  }
  if (handler.grpc) {
    const grpc = handler.grpc;
    one('grpc', () => validatePortNumOrName(grpc.port, `${path}.grpc.port`));
  }
  if (handler.sleep) {
    const seconds = handler.sleep.seconds ?? 0;
    one('sleep', () =>
      gracePeriod !== undefined && (seconds <= 0 || seconds > gracePeriod)
        ? [invalid(`${path}.sleep`, String(seconds), `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod})`)]
        : [],
    );
  }
  if (count === 0) causes.push(required(path, 'must specify a handler type'));
  return causes;
}

/** IsHTTPHeaderName. */
const HTTP_HEADER_NAME = /^[-A-Za-z0-9]+$/;
const HTTP_HEADER_NAME_MSG = "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')";

/** IsValidPortNum. */
export function portNumberErrors(port: number): string[] {
  return port < 1 || port > 65535 ? [inclusiveRange(1, 65535)] : [];
}

/** IsValidPortName: an IANA_SVC_NAME. */
function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function validatePortNumOrName(port: number | string, path: string): StatusCause[] {
  if (typeof port === 'number') return portNumberErrors(port).map((m) => invalid(path, String(port), m));
  return portNameErrors(port).map((m) => invalid(path, quote(port), m));
}

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export function validateProtocol(protocol: string | undefined, path: string): StatusCause[] {
  if (!protocol) return [required(path)];
  return PROTOCOLS.includes(protocol) ? [] : [notSupported(path, quote(protocol), PROTOCOLS)];
}

function validatePorts(ports: readonly ContainerPort[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (port.name) {
      const errs = portNameErrors(port.name);
      if (errs.length > 0) causes.push(...errs.map((m) => invalid(`${p}.name`, quote(port.name!), m)));
      else if (names.has(port.name)) causes.push(duplicate(`${p}.name`, quote(port.name)));
      else names.add(port.name);
    }
    if (!port.containerPort) causes.push(required(`${p}.containerPort`));
    else causes.push(...portNumberErrors(port.containerPort).map((m) => invalid(`${p}.containerPort`, String(port.containerPort), m)));
    if (port.hostPort) causes.push(...portNumberErrors(port.hostPort).map((m) => invalid(`${p}.hostPort`, String(port.hostPort), m)));
    causes.push(...validateProtocol(port.protocol, `${p}.protocol`));
  });
  return causes;
}

/** ValidateContainerResourceRequirements, over the canonical quantities defaulting left; also the overhead of pods and RuntimeClasses, as limits (validateOverhead). */
export function validateResources(resources: ResourceRequirements, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const limits = (resources.limits ?? {}) as ResourceList;
  const requests = (resources.requests ?? {}) as ResourceList;
  const check = (list: ResourceList, name: string, at: string): StatusCause[] => [...validateContainerResourceName(name, at), ...validateResourceQuantityValue(list, name, at)];
  for (const name of sortedKeys(limits)) causes.push(...check(limits, name, `${path}.limits[${name}]`));
  for (const name of sortedKeys(requests)) {
    causes.push(...check(requests, name, `${path}.requests[${name}]`));
    const request = quantityOf(requests, name);
    if (name in limits) {
      const limit = quantityOf(limits, name);
      if (compare(request, limit) !== 0 && !isOvercommitAllowed(name)) {
        causes.push(invalid(`${path}.requests`, quote(requests[name]!), `must be equal to ${name} limit of ${limits[name]}`));
      } else if (compare(request, limit) > 0) {
        causes.push(invalid(`${path}.requests`, quote(requests[name]!), `must be less than or equal to ${name} limit of ${limits[name]}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      causes.push(required(`${path}.limits`, 'Limit must be set for non overcommitable resources'));
    }
  }
  return causes;
}
