// The registry's create and update of a built-in kind without a store: the
// kind's conversion, decoding, defaults and validation (server/api/kinds), a
// 422 thrown as the registry throws it. For tests of what each kind accepts,
// fills in and refuses, with the exact field and message kubectl prints.
import assert from 'node:assert/strict';
import { BUILTIN_RESOURCES } from '../../server/api/catalogue.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import type { KubeObject } from '../../server/api/objects.js';
import type { ResourceType } from '../../server/api/resources.js';
import { ApiError, errors } from '../../server/api/status.js';

export const UID = '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b';

/** Manifests are plain JSON, as they arrive from kubectl. */
export type Json = Record<string, any>;

/** The built-in resource type of a manifest's apiVersion and kind. */
export function typeOf(obj: { apiVersion: string; kind: string }): ResourceType {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const type = BUILTIN_RESOURCES.find((r) => r.group === group && r.version === version && r.kind === obj.kind);
  assert.ok(type, `${obj.apiVersion} ${obj.kind}`);
  return type;
}

/** As Registry.create: uid and namespace set, then the kind's defaults and validation. */
export function create(manifest: Json): Json {
  const obj = structuredClone(manifest) as KubeObject;
  const type = typeOf(obj);
  obj.metadata.uid = UID;
  if (type.namespaced) obj.metadata.namespace ??= 'default';
  return admit(type, obj, undefined);
}

/** As Registry.update: system fields and (with a status subresource) the status come from the current object. */
export function update(current: Json, manifest: Json): Json {
  const obj = structuredClone(manifest) as KubeObject;
  const type = typeOf(obj);
  obj.metadata.uid = current['metadata'].uid;
  obj.metadata.namespace = current['metadata'].namespace;
  if (type.subresources.some((s) => s.name === 'status') && current['status'] !== undefined) obj['status'] = structuredClone(current['status']);
  return admit(type, obj, current as KubeObject);
}

/** As the registry writes: converted to the stored version first (events.k8s.io Events become core ones), then decoded, defaulted, validated. */
function admit(type: ResourceType, input: KubeObject, old: KubeObject | undefined): Json {
  const rules = rulesFor(type);
  const obj = rules.conversions?.[type.version]?.toStored(input) ?? input;
  rules.decodeInput?.(obj);
  rules.defaults?.(obj, old);
  const causes = rules.validate?.(obj, old) ?? [];
  if (causes.length > 0) throw errors.invalid(type, obj.metadata.name!, causes);
  return obj;
}

/** The ApiError (of status `code`) the call ends in. */
export function refusal(fn: () => unknown, code = 422): ApiError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => {
    caught = err;
    return err instanceof ApiError;
  });
  const err = caught as ApiError;
  assert.equal(err.code, code, err.message);
  return err;
}

/** The message of the 422 the call ends in. */
export const invalid = (fn: () => unknown): string => refusal(fn).message;

/** The fields and messages of the 422's causes, in order. */
export function causes(fn: () => unknown): string[] {
  return (refusal(fn).details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
}
