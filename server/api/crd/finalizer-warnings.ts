// Upstream's warnings for a custom resource (apiextensions-apiserver's
// customresource strategy, Kubernetes 1.31), on create and on every update:
// each finalizer the write adds, in sorted order, that is no qualified name
// (an update does not validate them) or has no domain, which finalizers of
// other writers could clash with. Built-in kinds refuse the latter instead.
import { qualifiedNameErrors } from '../kinds/labels.js';
import { quote } from '../kinds/field-errors.js';
import type { KubeObject } from '../objects.js';
import { STANDARD_FINALIZERS } from '../registry/object-meta.js';

export function finalizerWarnings(obj: KubeObject, old: KubeObject | undefined): string[] {
  const before = new Set(old?.metadata.finalizers ?? []);
  const added = [...new Set(obj.metadata.finalizers ?? [])].filter((f) => !before.has(f)).sort();
  return added.flatMap((f) => [
    ...qualifiedNameErrors(f).map((message) => `metadata.finalizers: ${quote(f)}: ${message}`),
    ...(f.includes('/') || STANDARD_FINALIZERS.has(f)
      ? []
      : [`metadata.finalizers: ${quote(f)}: prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers`]),
  ]);
}
