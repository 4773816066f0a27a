// The Windows options of pod and container security contexts as upstream
// 1.31 checks them on every pod, Linux ones included: a GMSA credential
// spec's name and size, a runAsUserName Windows would accept
// (validateWindowsSecurityContextOptions), and hostProcess set alike on the
// pod and all its containers, with host networking
// (validateWindowsHostProcessPod). Privileged pods are allowed here, as on
// clusters started with --allow-privileged, so the "disallowed by cluster
// policy" refusal never applies.
import type { PodSpec, WindowsSecurityContextOptions } from 'kubernetes-types/core/v1.js';
import { nameErrors } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { containersWithPaths } from './container-paths.js';
import { invalid, quote } from './field-errors.js';

const MAX_CREDENTIAL_SPEC_KIB = 64;
const MAX_DOMAIN_LENGTH = 256;
const MAX_USER_LENGTH = 104;
/** [[:cntrl:]]: ASCII control characters. */
const CONTROL = /[\x00-\x1f\x7f]/;
/** A NetBIOS domain: 1 to 15 characters, none of \ / : * ? " < > |, not starting with a dot. */
const NETBIOS_DOMAIN = /^[^\\/:*?"<>|.][^\\/:*?"<>|]{0,14}$/u;
const DNS_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
const DNS_DOMAIN = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);
const USER_FORBIDDEN_CHARS = /["/\\:;|=,+*?<>@[\]]/;
const ONLY_DOTS_AND_SPACES = /^[. ]+$/;

/** validateWindowsSecurityContextOptions. */
export function validateWindowsOptions(options: WindowsSecurityContextOptions | undefined, path: string): StatusCause[] {
  if (options == null) return [];
  const causes: StatusCause[] = [];
  const specName = options.gmsaCredentialSpecName;
  if (specName != null) causes.push(...nameErrors(specName, 'subdomain').map((m) => invalid(`${path}.gmsaCredentialSpecName`, quote(specName), m)));
  const spec = options.gmsaCredentialSpec;
  if (spec != null) {
    const size = Buffer.byteLength(spec);
    const p = `${path}.gmsaCredentialSpec`;
    if (size === 0) causes.push(invalid(p, quote(spec), 'gmsaCredentialSpec cannot be an empty string'));
    else if (size > MAX_CREDENTIAL_SPEC_KIB * 1024) causes.push(invalid(p, quote(spec), `gmsaCredentialSpec size must be under ${MAX_CREDENTIAL_SPEC_KIB} KiB`));
  }
  const userName = options.runAsUserName;
  if (userName != null) causes.push(...runAsUserNameErrors(userName).map((m) => invalid(`${path}.runAsUserName`, quote(userName), m)));
  return causes;
}

/** DOMAIN\USER, the domain optional. Lengths in bytes, as Go's len. */
function runAsUserNameErrors(name: string): string[] {
  if (name === '') return ['runAsUserName cannot be an empty string'];
  if (CONTROL.test(name)) return ['runAsUserName cannot contain control characters'];
  const parts = name.split('\\');
  if (parts.length > 2) return ['runAsUserName cannot contain more than one backslash'];
  const [domain, user] = parts.length === 1 ? ['', parts[0]!] : [parts[0]!, parts[1]!];
  const errs: string[] = [];
  if (Buffer.byteLength(domain) >= MAX_DOMAIN_LENGTH) errs.push(`runAsUserName's Domain length must be under ${MAX_DOMAIN_LENGTH} characters`);
  if (parts.length === 2 && !NETBIOS_DOMAIN.test(domain) && !DNS_DOMAIN.test(domain)) errs.push("runAsUserName's Domain doesn't match the NetBios nor the DNS format");
  const userLength = Buffer.byteLength(user);
  if (userLength === 0) errs.push("runAsUserName's User cannot be empty");
  else if (userLength > MAX_USER_LENGTH) errs.push(`runAsUserName's User length must not be longer than ${MAX_USER_LENGTH} characters`);
  if (ONLY_DOTS_AND_SPACES.test(user)) errs.push("runAsUserName's User cannot contain only periods or spaces");
  if (USER_FORBIDDEN_CHARS.test(user)) errs.push('runAsUserName\'s User cannot contain the following characters: "/\\:;|=,+*?<>@[]');
  return errs;
}

/**
 * validateWindowsHostProcessPod: a container's hostProcess, where both say,
 * is the pod's; if any container is a host process (its own setting, else
 * the pod's), all are, and the pod uses the host's network.
 */
export function validateWindowsHostProcess(spec: PodSpec, specPath: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const podHostProcess = spec.securityContext?.windowsOptions?.hostProcess;
  const containers = containersWithPaths(spec, specPath);
  let hostProcesses = 0;
  for (const { container, path } of containers) {
    const own = container.securityContext?.windowsOptions?.hostProcess;
    if (podHostProcess != null && own != null && podHostProcess !== own) {
      causes.push(invalid(`${path}.securityContext.windowsOptions.hostProcess`, String(own), `pod hostProcess value must be identical if both are specified, was ${podHostProcess}`));
    }
    if ((own ?? podHostProcess) === true) hostProcesses++;
  }
  if (hostProcesses > 0) {
    if (hostProcesses !== containers.length) causes.push(invalid(specPath, '""', 'If pod contains any hostProcess containers then all containers must be HostProcess containers'));
    if (spec.hostNetwork !== true) causes.push(invalid(`${specPath}.hostNetwork`, 'false', 'hostNetwork must be true if pod contains any hostProcess containers'));
  }
  return causes;
}
