// Every container of a pod spec with its field path, in upstream's
// VisitContainersWithPath order: init containers, containers, ephemeral
// containers. The checks that look at all of a pod's containers at once
// (OS, Windows host processes, seccomp and AppArmor annotations) walk them so.
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';

export function containersWithPaths(spec: PodSpec, specPath: string): { container: Container; path: string }[] {
  const kinds = [
    ['initContainers', spec.initContainers],
    ['containers', spec.containers],
    ['ephemeralContainers', spec.ephemeralContainers],
  ] as const;
  return kinds.flatMap(([field, list]) => (list ?? []).map((container, i) => ({ container: container as Container, path: `${specPath}.${field}[${i}]` })));
}
