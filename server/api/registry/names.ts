// Name rules of Kubernetes objects (apimachinery validation): most kinds use
// DNS-1123 subdomains; namespaces DNS-1123 labels; services DNS-1035 labels
// (a leading letter: they become DNS names); RBAC objects any path segment.
import type { StatusCause } from '../status.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type NameRule = 'subdomain' | 'label' | 'dns1035-label' | 'path-segment';
const PATH_SEGMENT_GROUPS = new Set(['rbac.authorization.k8s.io']);

export function nameRuleOf(group: string, plural: string): NameRule {
  if (group === '' && plural === 'namespaces') return 'label';
  if (group === '' && plural === 'services') return 'dns1035-label';
  if (PATH_SEGMENT_GROUPS.has(group)) return 'path-segment';
  return 'subdomain';
}

/** Causes for an invalid metadata.name (or namespace), as upstream words them. */
export function checkName(name: string, rule: NameRule, field = 'metadata.name'): StatusCause[] {
  const bad = (message: string): StatusCause[] => [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: ${message}`, field }];
  if (rule === 'path-segment') return pathSegmentErrors(name).map((message) => bad(message)[0]!);
  if (rule === 'dns1035-label') {
    if (name.length > 63) return bad('must be no more than 63 characters');
    if (!DNS1035_LABEL.test(name)) {
      return bad(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      );
    }
    return [];
  }
  if (rule === 'label') {
    if (name.length > 63) return bad('must be no more than 63 characters');
    if (!DNS1123_LABEL.test(name)) {
      return bad(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      );
    }
    return [];
  }
  if (name.length > 253) return bad('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return bad(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return [];
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
