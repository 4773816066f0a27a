// The names a pod resolves, as upstream 1.31 validates them: its DNS config
// (validatePodDNSConfig: with dnsPolicy None the config and a nameserver
// are required; at most 3 nameservers, each an IP; at most 32 search
// domains of at most 2048 characters in all, each a DNS subdomain with an
// optional trailing dot; options named), libc's resolver limits, and its
// /etc/hosts entries (ValidateHostAliases).
import type { HostAlias, PodSpec } from 'kubernetes-types/core/v1.js';
import { checkName } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { goStrings, invalid, required } from './field-errors.js';
import { validateIP } from './ip-fields.js';

const MAX_NAMESERVERS = 3;
const MAX_SEARCH_PATHS = 32;
const MAX_SEARCH_LIST_CHARS = 2048;

/** validatePodDNSConfig; `path` is the dnsConfig's. */
export function validatePodDNSConfig(spec: PodSpec, path: string): StatusCause[] {
  const config = spec.dnsConfig;
  if (spec.dnsPolicy === 'None') {
    if (config == null) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if ((config.nameservers ?? []).length === 0) return [required(`${path}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (config == null) return [];
  const causes: StatusCause[] = [];
  const nameservers = config.nameservers ?? [];
  if (nameservers.length > MAX_NAMESERVERS) {
    causes.push(invalid(`${path}.nameservers`, goStrings(nameservers), `must not have more than ${MAX_NAMESERVERS} nameservers`));
  }
  nameservers.forEach((ip, i) => causes.push(...validateIP(ip, `${path}.nameservers[${i}]`)));
  const searches = config.searches ?? [];
  if (searches.length > MAX_SEARCH_PATHS) causes.push(invalid(`${path}.searches`, goStrings(searches), `must not have more than ${MAX_SEARCH_PATHS} search paths`));
  if (Buffer.byteLength(searches.join(' ')) > MAX_SEARCH_LIST_CHARS) {
    causes.push(invalid(`${path}.searches`, goStrings(searches), `must not have more than ${MAX_SEARCH_LIST_CHARS} characters (including spaces) in the search list`));
  }
  // A fully qualified search domain ends in a dot; the name is what comes before it.
  searches.forEach((search, i) => causes.push(...checkName(search.endsWith('.') ? search.slice(0, -1) : search, 'subdomain', `${path}.searches[${i}]`)));
  (config.options ?? []).forEach((option, i) => {
    if (!option.name) causes.push(required(`${path}.options[${i}]`, 'must not be empty'));
  });
  return causes;
}

/** ValidateHostAliases: each an IP and the subdomains it answers for. */
export function validateHostAliases(aliases: readonly HostAlias[], path: string): StatusCause[] {
  return aliases.flatMap((alias, i) => [
    ...validateIP(alias.ip ?? '', `${path}[${i}].ip`),
    ...(alias.hostnames ?? []).flatMap((hostname, j) => checkName(hostname, 'subdomain', `${path}[${i}].hostnames[${j}]`)),
  ]);
}
