// Name rules of Kubernetes objects (apimachinery validation): most kinds use
// DNS-1123 subdomains; namespaces DNS-1123 labels; services DNS-1035 labels
// (a leading letter: they become DNS names); RBAC objects, core Events and
// CertificateSigningRequests any path segment.
import type { StatusCause } from '../status.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type NameRule = 'subdomain' | 'label' | 'dns1035-label' | 'path-segment';
const PATH_SEGMENT_GROUPS = new Set(['rbac.authorization.k8s.io', 'certificates.k8s.io']);

export function nameRuleOf(group: string, plural: string): NameRule {
  if (group === '' && plural === 'namespaces') return 'label';
  if (group === '' && plural === 'services') return 'dns1035-label';
  // Core Events' validation checks no name (BeforeCreate's path-segment check alone); events.k8s.io's strict one wants a subdomain.
  if (PATH_SEGMENT_GROUPS.has(group) || (group === '' && plural === 'events')) return 'path-segment';
  return 'subdomain';
}

/** Causes for an invalid metadata.name (or namespace), as upstream words them. */
export function checkName(name: string, rule: NameRule, field = 'metadata.name'): StatusCause[] {
  return nameErrors(name, rule).map((message) => ({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: ${message}`, field }));
}

/**
 * The bare messages of upstream's name checks (IsDNS1123Subdomain,
 * IsDNS1123Label, IsDNS1035Label, ValidatePathSegmentName): every rule the
 * name breaks, the length before the format.
 */
export function nameErrors(name: string, rule: NameRule): string[] {
  if (rule === 'path-segment') return pathSegmentErrors(name);
  const errs: string[] = [];
  const max = rule === 'subdomain' ? 253 : 63;
  // Go counts bytes.
  if (Buffer.byteLength(name) > max) errs.push(`must be no more than ${max} characters`);
  if (rule === 'dns1035-label') {
    if (!DNS1035_LABEL.test(name)) {
      errs.push(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      );
    }
  } else if (rule === 'label') {
    // A valid subdomain that is no label can only hold dots.
    if (!DNS1123_LABEL.test(name)) {
      errs.push(
        DNS1123_SUBDOMAIN.test(name)
          ? 'must not contain dots'
          : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      );
    }
  } else if (!DNS1123_SUBDOMAIN.test(name)) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errs;
}

/** IsValidPathSegmentName: what a name must not be or contain to be one segment of a URL path. */
export function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName + 5 random characters, as upstream (no vowels, so no words). */
export function generatedName(prefix: string): string {
  const base = prefix.length > 58 ? prefix.slice(0, 58) : prefix;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return base + suffix;
}
