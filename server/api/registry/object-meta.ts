// What every kind's metadata must hold on each create and update, as
// upstream's ValidateObjectMetaAccessor / ValidateObjectMetaAccessorUpdate
// check it (apimachinery pkg/api/validation/objectmeta.go, Kubernetes 1.31):
// label keys and values, annotation keys and their total size, owner
// references, finalizer names; on update, no new finalizers once deleting.
// Built-in kinds (pkg/apis/core/validation's wrappers) also want each
// finalizer either standard or domain-qualified, custom resources and CRDs
// not. Names and namespaces are the registry's own checks (names.ts).
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { forbidden, goStrings, invalid, quote, required, tooLong } from '../kinds/field-errors.js';
import { qualifiedNameErrors, validateAnnotationKeys, validateLabels } from '../kinds/labels.js';
import type { KubeObject } from '../objects.js';
import type { StatusCause } from '../status.js';

/** TotalAnnotationSizeLimitB: keys and values together, in bytes. */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';
/** Finalizers a built-in kind may carry without a domain (and custom resources without a warning). */
export const STANDARD_FINALIZERS: ReadonlySet<string> = new Set(['kubernetes', ORPHAN, FOREGROUND]);

/** Causes for the metadata of `obj` (`old`: the stored object, on update), in upstream's order. */
export function validateObjectMeta(obj: KubeObject, old: KubeObject | undefined, builtin: boolean): StatusCause[] {
  const meta = obj.metadata;
  const finalizers = meta.finalizers ?? [];
  const causes: StatusCause[] = [];
  if (old?.metadata.deletionTimestamp !== undefined) causes.push(...noNewFinalizers(finalizers, old.metadata.finalizers ?? []));
  causes.push(...validateLabels(meta.labels, 'metadata.labels'), ...validateAnnotations(meta.annotations, 'metadata.annotations'), ...validateOwnerReferences(meta.ownerReferences ?? []));
  // The names' format is checked on create only: upstream's update check leaves it out.
  if (old === undefined) causes.push(...validateFinalizers(finalizers));
  if (builtin) {
    finalizers.forEach((f, i) => {
      if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) causes.push(invalid(`metadata.finalizers[${i}]`, quote(f), 'name is neither a standard finalizer name nor is it fully qualified'));
    });
  }
  return causes;
}

/** ValidateAnnotations: keys, and their total size with the values; of an object, or of a template's metadata at `path`. */
export function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined, path: string): StatusCause[] {
  if (annotations === undefined) return [];
  const causes = validateAnnotationKeys(annotations, path);
  let bytes = 0;
  for (const key in annotations) bytes += Buffer.byteLength(key) + Buffer.byteLength(annotations[key]!);
  if (bytes > ANNOTATIONS_MAX_BYTES) causes.push(tooLong(path, ANNOTATIONS_MAX_BYTES));
  return causes;
}

function validateOwnerReferences(refs: readonly OwnerReference[]): StatusCause[] {
  const causes: StatusCause[] = [];
  let firstController: string | undefined;
  refs.forEach((ref, i) => {
    const at = `metadata.ownerReferences[${i}]`;
    const apiVersion = ref.apiVersion ?? '';
    const parts = apiVersion.split('/');
    if (apiVersion === '') causes.push(required(`${at}.apiVersion`, 'must not be empty'));
    else if (parts.length > 2 || parts[parts.length - 1] === '') causes.push(invalid(`${at}.apiVersion`, quote(apiVersion), 'must be <group>/<version> or <version>'));
    if (!ref.kind) causes.push(required(`${at}.kind`, 'must not be empty'));
    if (!ref.name) causes.push(required(`${at}.name`, 'must not be empty'));
    if (!ref.uid) causes.push(required(`${at}.uid`, 'must not be empty'));
    // BannedOwners: an Event never owns anything.
    if (apiVersion === 'v1' && ref.kind === 'Event') causes.push(invalid(at, goOwnerReference(ref), '/v1, Kind=Event is disallowed from being an owner'));
    if (ref.controller === true) {
      const controller = `${ref.kind}/${ref.name}`;
      if (firstController === undefined) firstController = controller;
      else {
        const found = `Found "true" in references for ${firstController} and ${controller}`;
        causes.push(invalid('metadata.ownerReferences', `[]v1.OwnerReference{${refs.map(goOwnerReference).join(', ')}}`, `Only one reference can have Controller set to true. ${found}`));
      }
    }
  });
  return causes;
}

/**
 * %#v of an OwnerReference. Go prints the two *bool fields as addresses,
 * which differ on every request; here they show what they point to.
 */
function goOwnerReference(ref: OwnerReference): string {
  const pointer = (b: boolean | undefined) => `(*bool)(${b === undefined ? 'nil' : String(b)})`;
  return `v1.OwnerReference{APIVersion:${quote(ref.apiVersion ?? '')}, Kind:${quote(ref.kind ?? '')}, Name:${quote(ref.name ?? '')}, UID:${quote(ref.uid ?? '')}, Controller:${pointer(ref.controller)}, BlockOwnerDeletion:${pointer(ref.blockOwnerDeletion)}}`;
}

function validateFinalizers(finalizers: readonly string[]): StatusCause[] {
  const causes = finalizers.flatMap((f) => qualifiedNameErrors(f).map((message) => invalid('metadata.finalizers', quote(f), message)));
  if (finalizers.includes(ORPHAN) && finalizers.includes(FOREGROUND)) {
    causes.push(invalid('metadata.finalizers', goStrings(finalizers), `finalizer ${ORPHAN} and ${FOREGROUND} cannot be both set`));
  }
  return causes;
}

function noNewFinalizers(finalizers: readonly string[], old: readonly string[]): StatusCause[] {
  const added = [...new Set(finalizers.filter((f) => !old.includes(f)))].sort();
  return added.length === 0 ? [] : [forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${goStrings(added)}`)];
}
