// Paths a pod names on its node relative to somewhere else (seccomp
// profiles under the kubelet's seccomp root, volume paths, the files a
// volume projects): upstream's validateLocalDescendingPath,
// validatePathNoBacksteps and ValidateLocalNonReservedPath, so none of them
// can climb out of where it is meant to stay.
import type { StatusCause } from '../status.js';
import { invalid, quote } from './field-errors.js';

/** Whether a path has a ".." element. */
export function hasBacksteps(p: string): boolean {
  return p.split('/').includes('..');
}

/** validatePathNoBacksteps: no ".." element; one cause however many there are. */
export function validatePathNoBacksteps(p: string, path: string): StatusCause[] {
  return hasBacksteps(p) ? [invalid(path, quote(p), "must not contain '..'")] : [];
}

/** validateLocalDescendingPath: relative, and without "..". */
export function validateLocalDescendingPath(p: string, path: string): StatusCause[] {
  const causes = p.startsWith('/') ? [invalid(path, quote(p), 'must be a relative path')] : [];
  return [...causes, ...validatePathNoBacksteps(p, path)];
}

/**
 * ValidateLocalNonReservedPath: a descending path that does not start with
 * "..". Upstream means to skip that cause when the ".." element was already
 * reported, but ".." alone gets both.
 */
export function validateLocalNonReservedPath(p: string, path: string): StatusCause[] {
  const causes = validateLocalDescendingPath(p, path);
  if (p.startsWith('..') && !p.startsWith('../')) causes.push(invalid(path, quote(p), "must not start with '..'"));
  return causes;
}
