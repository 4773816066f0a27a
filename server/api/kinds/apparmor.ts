// AppArmor profiles as upstream 1.31 handles them (fields GA since 1.30,
// annotations deprecated): the appArmorProfile field of pod and container
// security contexts, the values of the per-container annotations, the
// version-skew copy a pod's creation makes between annotations and fields
// (so nodes that read either see the same profile), that an annotation and
// a field given together agree, and that a pod's AppArmor annotations never
// change after its creation. Windows pods have no AppArmor: no copy, no
// agreement check.
import type { AppArmorProfile, PodSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import type { StatusCause } from '../status.js';
import { containersWithPaths } from './container-paths.js';
import { semanticEqual } from './equality.js';
import { forbidden, invalid, notSupported, quote, required, sortedKeys, tooLongMaxLength } from './field-errors.js';

export const ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const LOCALHOST_PREFIX = 'localhost/';
export const ANNOTATION_DEPRECATED = 'deprecated since v1.30; use the "appArmorProfile" field instead';
const PROFILE_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];
/** PATH_MAX - 1. */
const MAX_LOCALHOST_PROFILE = 4095;
/** strings.TrimSpace: Unicode white space at either end. */
const PADDING = /^\p{White_Space}+|\p{White_Space}+$/gu;

type Annotations = Readonly<Record<string, string>> | undefined;

/** ValidateAppArmorProfileField. */
export function validateAppArmorProfileField(profile: AppArmorProfile | undefined, path: string): StatusCause[] {
  if (profile == null) return [];
  const type = profile.type ?? '';
  const local = profile.localhostProfile;
  switch (type) {
    case 'Localhost': {
      const p = `${path}.localhostProfile`;
      if (local == null) return [required(p, 'must be set when AppArmor type is Localhost')];
      const causes: StatusCause[] = [];
      if (local.replace(PADDING, '') !== local) causes.push(invalid(p, quote(local), 'must not be padded with whitespace'));
      else if (local === '') causes.push(required(p, 'must be set when AppArmor type is Localhost'));
      if (Buffer.byteLength(local) > MAX_LOCALHOST_PROFILE) causes.push(tooLongMaxLength(p, MAX_LOCALHOST_PROFILE));
      return causes;
    }
    case 'RuntimeDefault':
    case 'Unconfined':
      return local == null ? [] : [invalid(`${path}.localhostProfile`, quote(local), 'can only be set when AppArmor type is Localhost')];
    case '':
      return [required(`${path}.type`, 'type is required when appArmorProfile is set')];
    default:
      return [notSupported(`${path}.type`, quote(type), PROFILE_TYPES)];
  }
}

/**
 * ValidateAppArmorPodAnnotations: each annotation names a container of the
 * pod and holds a profile. Keys sorted (upstream walks a Go map).
 */
export function validateAppArmorAnnotations(annotations: Annotations, spec: PodSpec, path: string): StatusCause[] {
  const names = new Set(containersWithPaths(spec, '').map(({ container }) => container.name));
  const causes: StatusCause[] = [];
  for (const key of sortedKeys(annotations)) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const name = key.slice(ANNOTATION_PREFIX.length);
    const value = annotations![key]!;
    if (!names.has(name)) causes.push(invalid(`${path}[${key}]`, quote(name), 'container not found'));
    if (!['', 'runtime/default', 'unconfined'].includes(value) && !value.startsWith(LOCALHOST_PREFIX)) {
      causes.push(invalid(`${path}[${key}]`, quote(value), `invalid AppArmor profile name: ${quote(value)}`));
    }
  }
  return causes;
}

/**
 * validateAppArmorAnnotationsAndFieldsMatchOnCreate: a container's
 * annotation agrees with its profile, or the pod's where it has none.
 */
export function validateAppArmorAnnotationsMatchFields(annotations: Annotations, spec: PodSpec, specPath: string): StatusCause[] {
  if (spec.os?.name === 'windows') return [];
  const podProfile = spec.securityContext?.appArmorProfile;
  const causes: StatusCause[] = [];
  for (const { container, path } of containersWithPaths(spec, specPath)) {
    const profile = container.securityContext?.appArmorProfile ?? podProfile;
    const key = ANNOTATION_PREFIX + container.name;
    if (profile == null || annotations === undefined || !Object.hasOwn(annotations, key)) continue;
    const annotation = annotations[key]!;
    const p = `${path}.securityContext.appArmorProfile`;
    const typeMismatch = forbidden(`${p}.type`, 'apparmor type in annotation and field must match');
    switch (profile.type) {
      case 'Unconfined':
      case 'RuntimeDefault':
        if (annotation !== annotationFor(profile)) causes.push(typeMismatch);
        break;
      case 'Localhost':
        if (!annotation.startsWith(LOCALHOST_PREFIX)) causes.push(typeMismatch);
        else if (profile.localhostProfile == null || annotation.slice(LOCALHOST_PREFIX.length) !== profile.localhostProfile) {
          causes.push(forbidden(`${p}.localhostProfile`, 'apparmor profile in annotation and field must match'));
        }
    }
  }
  return causes;
}

/** The deprecation warnings each pod's sync gave, for the pod's warnings on its create. */
const syncWarnings = new WeakMap<KubeObject, string[]>();

/**
 * applyAppArmorVersionSkew, as a pod's creation runs it: a container with a
 * profile (its own or the pod's) and no annotation gets the annotation; one
 * with an annotation and no profile gets the profile the annotation names,
 * when that is valid and not already the pod's. An annotation that named no
 * valid profile, or was copied, is warned about as deprecated (upstream
 * warns here, where it still knows which were copied).
 */
export function applyAppArmorVersionSkew(pod: KubeObject & { spec?: PodSpec }): void {
  const spec = pod.spec!;
  if (spec.os?.name === 'windows') return;
  const podProfile = spec.securityContext?.appArmorProfile;
  const warnings: string[] = [];
  for (const { container } of containersWithPaths(spec, '')) {
    const key = ANNOTATION_PREFIX + container.name;
    const annotations = pod.metadata.annotations;
    const profile = container.securityContext?.appArmorProfile;
    if (annotations === undefined || !Object.hasOwn(annotations, key)) {
      const value = annotationFor(profile ?? podProfile);
      if (value !== '') pod.metadata.annotations = { ...annotations, [key]: value };
    } else if (profile == null) {
      const named = profileFor(annotations[key]!);
      const field = named !== undefined && validateAppArmorProfileField(named, '').length === 0 ? named : undefined;
      if (field !== undefined && semanticEqual(field, podProfile)) continue;
      if (field !== undefined) (container.securityContext ??= {}).appArmorProfile = field;
      warnings.push(`metadata.annotations[${key}]: ${ANNOTATION_DEPRECATED}`);
    }
  }
  syncWarnings.set(pod, warnings);
}

/** What applyAppArmorVersionSkew warned of when it ran on `pod`. */
export function appArmorSyncWarnings(pod: KubeObject): string[] {
  return syncWarnings.get(pod) ?? [];
}

/** appArmorAnnotationForField: "" where there is nothing to say. */
function annotationFor(profile: AppArmorProfile | undefined): string {
  switch (profile?.type) {
    case 'Unconfined':
      return 'unconfined';
    case 'RuntimeDefault':
      return 'runtime/default';
    case 'Localhost':
      return profile.localhostProfile == null ? '' : LOCALHOST_PREFIX + profile.localhostProfile;
    default:
      return '';
  }
}

/** apparmorFieldForAnnotation: undefined for a value that names no profile. */
function profileFor(annotation: string): AppArmorProfile | undefined {
  if (annotation === 'unconfined') return { type: 'Unconfined' };
  if (annotation === 'runtime/default') return { type: 'RuntimeDefault' };
  const local = annotation.startsWith(LOCALHOST_PREFIX) ? annotation.slice(LOCALHOST_PREFIX.length) : '';
  return local === '' ? undefined : { type: 'Localhost', localhostProfile: local };
}
