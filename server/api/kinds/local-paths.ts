// Paths a pod names on its node relative to somewhere else (seccomp
// profiles under the kubelet's seccomp root, volume paths): upstream's
// validateLocalDescendingPath and validatePathNoBacksteps, so none of them
// can climb out of where it is meant to stay.
import type { StatusCause } from '../status.js';
import { invalid, quote } from './field-errors.js';

/** validatePathNoBacksteps: no ".." element; one cause however many there are. */
export function validatePathNoBacksteps(p: string, path: string): StatusCause[] {
  return p.split('/').includes('..') ? [invalid(path, quote(p), "must not contain '..'")] : [];
}

/** validateLocalDescendingPath: relative, and without "..". */
export function validateLocalDescendingPath(p: string, path: string): StatusCause[] {
  const causes = p.startsWith('/') ? [invalid(path, quote(p), 'must be a relative path')] : [];
  return [...causes, ...validatePathNoBacksteps(p, path)];
}
