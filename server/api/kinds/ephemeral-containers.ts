// Ephemeral containers (what kubectl debug adds) as upstream 1.31 validates
// them in any pod spec (validateEphemeralContainers): each a container like
// the others, with the pod-only image check; a name unique among all the
// pod's containers; a target, if named, that is one of the pod's other
// containers; none of the fields that would make it part of the workload
// (ports, resources, probes, lifecycle, restart policy) and no subPath
// mounts, whose bind mounts would outlive it. Pods may not be created with
// them and templates may not hold them at all; those refusals come after.
import type { Container, EphemeralContainer, PodSpec } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../status.js';
import { type ContainerContext, validateContainer } from './containers.js';
import { duplicate, forbidden, invalid, notFound, quote } from './field-errors.js';

const NOT_FOR_EPHEMERAL = 'cannot be set for an Ephemeral Container';
/** The EphemeralContainerCommon fields outside upstream's allow-list, in struct order. */
const DISALLOWED_FIELDS = ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const;
const RESOURCE_LISTS = ['limits', 'requests', 'claims'] as const;

export function validateEphemeralContainers(spec: PodSpec, path: string, ctx: ContainerContext): StatusCause[] {
  const causes: StatusCause[] = [];
  const others = new Set([...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name));
  const names = new Set(others);
  (spec.ephemeralContainers ?? []).forEach((c, i) => {
    const p = `${path}[${i}]`;
    causes.push(...validateContainer(c as Container, p, ctx));
    if (c.image !== undefined && c.image.trim() !== c.image) causes.push(invalid(`${p}.image`, quote(c.image), 'must not have leading or trailing whitespace'));
    if (names.has(c.name)) causes.push(duplicate(`${p}.name`, quote(c.name)));
    else names.add(c.name);
    if (c.targetContainerName && !others.has(c.targetContainerName)) causes.push(notFound(`${p}.targetContainerName`, quote(c.targetContainerName)));
    for (const field of DISALLOWED_FIELDS) if (isSet(c, field)) causes.push(forbidden(`${p}.${field}`, NOT_FOR_EPHEMERAL));
    (c.volumeMounts ?? []).forEach((mount, j) => {
      if (mount.subPath) causes.push(forbidden(`${p}.volumeMounts[${j}].subPath`, NOT_FOR_EPHEMERAL));
      if (mount.subPathExpr) causes.push(forbidden(`${p}.volumeMounts[${j}].subPathExpr`, NOT_FOR_EPHEMERAL));
    });
  });
  return causes;
}

/** Not Go's zero value: a list or pointer given (an empty list too), resources with any list. */
function isSet(c: EphemeralContainer, field: (typeof DISALLOWED_FIELDS)[number]): boolean {
  if (field === 'resources') return RESOURCE_LISTS.some((list) => (c.resources as Record<string, unknown> | undefined)?.[list] != null);
  return c[field] != null;
}
