// Seccomp profiles as upstream 1.31 checks them: the seccompProfile field of
// pod and container security contexts, the values of the deprecated
// annotations (ValidateSeccompPodAnnotations), and, where a pod is created
// or a template written, that an annotation and a field given together say
// the same (validateSeccompAnnotationsAndFields). 1.31 no longer copies
// either into the other.
import type { PodSpec, SeccompProfile } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../status.js';
import { containersWithPaths } from './container-paths.js';
import { forbidden, goPointer, invalid, notSupported, quote, required, sortedKeys } from './field-errors.js';
import { validateLocalDescendingPath } from './local-paths.js';

const POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const LOCALHOST_PREFIX = 'localhost/';
const PROFILE_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];

type Annotations = Readonly<Record<string, string>> | undefined;

/** validateSeccompProfileField. */
export function validateSeccompProfileField(profile: SeccompProfile | undefined, path: string): StatusCause[] {
  if (profile == null) return [];
  const causes: StatusCause[] = [];
  const type = profile.type ?? '';
  if (type === '') causes.push(required(`${path}.type`, 'type is required when seccompProfile is set'));
  else if (!PROFILE_TYPES.includes(type)) causes.push(notSupported(`${path}.type`, quote(type), PROFILE_TYPES));
  if (type === 'Localhost') {
    if (profile.localhostProfile == null) causes.push(required(`${path}.localhostProfile`, 'must be set when seccomp type is Localhost'));
    else causes.push(...validateLocalDescendingPath(profile.localhostProfile, `${path}.localhostProfile`));
  } else if (profile.localhostProfile != null) {
    const value = `core.SeccompProfile{Type:${quote(type)}, LocalhostProfile:${goPointer('string', profile.localhostProfile != null)}}`;
    causes.push(invalid(`${path}.localhostProfile`, value, 'can only be set when seccomp type is Localhost'));
  }
  return causes;
}

/**
 * ValidateSeccompPodAnnotations: the pod's annotation, then the
 * containers'. Upstream names them as children of the path, not keys, and
 * walks a Go map: sorted here, so the order is stable.
 */
export function validateSeccompAnnotations(annotations: Annotations, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (annotations !== undefined && Object.hasOwn(annotations, POD_ANNOTATION)) {
    causes.push(...annotationProfileErrors(annotations[POD_ANNOTATION]!, `${path}.${POD_ANNOTATION}`));
  }
  for (const key of sortedKeys(annotations)) {
    if (key.startsWith(CONTAINER_ANNOTATION_PREFIX)) causes.push(...annotationProfileErrors(annotations![key]!, `${path}.${key}`));
  }
  return causes;
}

/** ValidateSeccompProfile: what a deprecated annotation may say. */
function annotationProfileErrors(profile: string, path: string): StatusCause[] {
  if (['runtime/default', 'docker/default', 'unconfined'].includes(profile)) return [];
  if (profile.startsWith(LOCALHOST_PREFIX)) return validateLocalDescendingPath(profile.slice(LOCALHOST_PREFIX.length), path);
  return [invalid(path, quote(profile), 'must be a valid seccomp profile')];
}

/** validateSeccompAnnotationsAndFields: where a field and its annotation are both given, they agree. */
export function validateSeccompAnnotationsMatchFields(annotations: Annotations, spec: PodSpec, specPath: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const annotation = (key: string): string | undefined => (annotations !== undefined && Object.hasOwn(annotations, key) ? annotations[key] : undefined);
  const podProfile = spec.securityContext?.seccompProfile;
  const podAnnotation = annotation(POD_ANNOTATION);
  if (podProfile != null && podAnnotation !== undefined) causes.push(...mismatch(podAnnotation, podProfile, `${specPath}.securityContext.seccompProfile`));
  for (const { container, path } of containersWithPaths(spec, specPath)) {
    const profile = container.securityContext?.seccompProfile;
    const value = annotation(CONTAINER_ANNOTATION_PREFIX + container.name);
    if (profile != null && value !== undefined) causes.push(...mismatch(value, profile, `${path}.securityContext.seccompProfile`));
  }
  return causes;
}

function mismatch(annotation: string, profile: SeccompProfile, path: string): StatusCause[] {
  const typeMismatch = [forbidden(`${path}.type`, 'seccomp type in annotation and field must match')];
  switch (profile.type) {
    case 'Unconfined':
      return annotation === 'unconfined' ? [] : typeMismatch;
    case 'RuntimeDefault':
      return annotation === 'runtime/default' || annotation === 'docker/default' ? [] : typeMismatch;
    case 'Localhost':
      if (!annotation.startsWith(LOCALHOST_PREFIX)) return typeMismatch;
      if (profile.localhostProfile != null && annotation.slice(LOCALHOST_PREFIX.length) === profile.localhostProfile) return [];
      return [forbidden(`${path}.localhostProfile`, 'seccomp profile in annotation and field must match')];
    default:
      return [];
  }
}
