// How server-side apply types a kind's fields, as upstream's
// structured-merge-diff schema (converted from OpenAPI by kube-openapi's
// schemaconv) does: maps and structs are walked field by field; lists are
// associative by their keys (x-kubernetes-list-type: map and its map keys,
// or a strategic-merge merge key), sets (list type set, or a merge strategy
// without a key) or atomic; atomic maps and structs, scalars and atomic
// lists are owned whole. Fields nobody declares are typed by their value
// ("deduced"): maps walked, lists atomic.
import { isCustomResourceType } from '../crd/resource-types.js';
import type { SchemaProps } from '../crd/definition.js';
import { builtinSchemas, REF_PREFIX, resolve, type Schema, schemaNameOf } from '../openapi/schema.js';
import type { ResourceType } from '../resources.js';

export interface FieldType {
  /** leaf: owned whole; map: by field; list: by item. A value of another shape than its type's is a leaf. */
  readonly shape: 'leaf' | 'map' | 'list';
  /** A map's field: its declared type, else its values' type. */
  field(name: string): FieldType;
  /** A struct's own field, rather than an entry of a map: only the latter is a member of the set itself. */
  declares(name: string): boolean;
  /** A list's items: by key fields (keys) or by value (no keys). */
  readonly keys?: readonly string[];
  readonly items?: FieldType;
}

const LEAF: FieldType = { shape: 'leaf', field: () => LEAF, declares: () => false };

/** Typed by the value: every field undeclared, maps walked, lists atomic. */
export const DEDUCED: FieldType = { shape: 'map', field: () => DEDUCED, declares: () => false };

/**
 * Upstream's +structType=atomic types (k8s.io/api, apimachinery): a selector
 * or reference is replaced whole. Our generated schemas do not carry the
 * marker, so it is named here.
 */
const ATOMIC_STRUCTS: ReadonlySet<string> = new Set([
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
  'io.k8s.api.core.v1.ObjectReference',
  'io.k8s.api.core.v1.LocalObjectReference',
  'io.k8s.api.core.v1.TypedLocalObjectReference',
  'io.k8s.api.core.v1.TypedObjectReference',
  'io.k8s.api.core.v1.SecretReference',
  'io.k8s.api.core.v1.ConfigMapKeySelector',
  'io.k8s.api.core.v1.SecretKeySelector',
  'io.k8s.api.core.v1.ObjectFieldSelector',
  'io.k8s.api.core.v1.ResourceFieldSelector',
  'io.k8s.api.core.v1.NodeSelector',
  'io.k8s.api.core.v1.NodeSelectorTerm',
  'io.k8s.api.core.v1.TopologySelectorTerm',
  'io.k8s.api.core.v1.EndpointAddress',
  'io.k8s.api.autoscaling.v1.CrossVersionObjectReference',
  'io.k8s.api.autoscaling.v2.CrossVersionObjectReference',
]);

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** The field type of a resource's objects; cached, built as writes reach its fields. */
export function fieldTypeOf(type: ResourceType): FieldType {
  if (isCustomResourceType(type)) {
    let cached = customRoots.get(type);
    if (cached === undefined) {
      cached = customRoot(type.openAPIV3Schema);
      customRoots.set(type, cached);
    }
    return cached;
  }
  const name = schemaNameOf(type);
  if (name === undefined) return (untypedRoot ??= customRoot(undefined));
  let root = builtinRoots.get(name);
  if (root === undefined) {
    root = builtin({ $ref: `${REF_PREFIX}${name}` });
    builtinRoots.set(name, root);
  }
  return root;
}

let untypedRoot: FieldType | undefined;
const builtinRoots = new Map<string, FieldType>();

const builtins = new WeakMap<Schema, FieldType>();
const customRoots = new WeakMap<ResourceType, FieldType>();
const customs = new WeakMap<SchemaProps, FieldType>();

function listKeys(listType: string | undefined, mapKeys: readonly string[] | undefined, strategy: string | undefined, mergeKey: string | undefined): readonly string[] | undefined {
  if (listType === 'atomic') return undefined;
  if (listType === 'set') return [];
  if (listType === 'map') return mapKeys ?? [];
  if (strategy?.split(',').includes('merge')) return mergeKey === undefined ? [] : [mergeKey];
  return undefined;
}

/** A property of a built-in schema: its own extensions beside the type it refers to. */
function builtin(property: Schema): FieldType {
  let cached = builtins.get(property);
  if (cached !== undefined) return cached;
  const schemas = builtinSchemas();
  const resolved = resolve(property, schemas);
  const refName = refNameOf(property);
  if (resolved.type === 'array' && resolved.items !== undefined) {
    const keys = listKeys(property['x-kubernetes-list-type'], property['x-kubernetes-list-map-keys'], property['x-kubernetes-patch-strategy'], property['x-kubernetes-patch-merge-key']);
    const items = resolved.items;
    cached = keys === undefined ? LEAF : list(keys, () => builtin(items));
  } else if (resolved.properties !== undefined || typeof resolved.additionalProperties === 'object') {
    if (refName !== undefined && ATOMIC_STRUCTS.has(refName)) cached = LEAF;
    else {
      const properties = resolved.properties ?? {};
      const values = resolved.additionalProperties;
      const rest = typeof values === 'object' ? values : undefined;
      cached = struct(
        (name) => (Object.hasOwn(properties, name) ? builtin(properties[name]!) : undefined),
        () => (rest !== undefined ? builtin(rest) : DEDUCED),
      );
    }
  } else if (resolved.type === 'object' || resolved['x-kubernetes-preserve-unknown-fields']) {
    cached = DEDUCED;
  } else {
    cached = LEAF;
  }
  builtins.set(property, cached);
  return cached;
}

function refNameOf(property: Schema): string | undefined {
  let s: Schema | undefined = property;
  for (let i = 0; i < 8 && s !== undefined; i++) {
    if (s.$ref !== undefined) return s.$ref.slice(REF_PREFIX.length);
    s = s.allOf?.length === 1 ? s.allOf[0] : undefined;
  }
  return undefined;
}

/** A custom resource's root: its schema, with the metadata upstream's ObjectMeta. */
function customRoot(schema: SchemaProps | undefined): FieldType {
  const meta = builtin({ $ref: `#/components/schemas/${OBJECT_META}` });
  const body = schema === undefined ? DEDUCED : custom(schema);
  const own = (name: string) => (name === 'metadata' ? meta : name === 'apiVersion' || name === 'kind' ? LEAF : body.declares(name) ? body.field(name) : undefined);
  return struct(own, () => body.field(''));
}

function custom(schema: SchemaProps): FieldType {
  let cached = customs.get(schema);
  if (cached !== undefined) return cached;
  const s = schema as SchemaProps & Record<string, unknown>;
  if (s.type === 'array') {
    const keys = listKeys(s['x-kubernetes-list-type'] as string | undefined, s['x-kubernetes-list-map-keys'] as string[] | undefined, undefined, undefined);
    const items = isObject(s.items) ? (s.items as SchemaProps) : undefined;
    cached = keys === undefined || items === undefined ? LEAF : list(keys, () => custom(items));
  } else if (s['x-kubernetes-map-type'] === 'atomic') {
    cached = LEAF;
  } else if (s.type === 'object' || isObject(s.properties) || isObject(s.additionalProperties) || s['x-kubernetes-preserve-unknown-fields'] === true) {
    const properties = (isObject(s.properties) ? s.properties : {}) as Record<string, SchemaProps>;
    const values = isObject(s.additionalProperties) ? (s.additionalProperties as SchemaProps) : undefined;
    const embedded = s['x-kubernetes-embedded-resource'] === true;
    const meta = builtin({ $ref: `#/components/schemas/${OBJECT_META}` });
    cached = struct(
      (name) => (Object.hasOwn(properties, name) ? custom(properties[name]!) : embedded && name === 'metadata' ? meta : undefined),
      () => (values !== undefined ? custom(values) : DEDUCED),
    );
  } else {
    cached = LEAF;
  }
  customs.set(schema, cached);
  return cached;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A map: `declared` gives a struct's own fields (undefined for any other
 * name), `rest` the type of every other entry. Only declared fields are
 * remembered, so a map's many keys (labels) cost nothing to keep.
 */
function struct(declared: (name: string) => FieldType | undefined, rest: () => FieldType): FieldType {
  const fields = new Map<string, FieldType>();
  let restType: FieldType | undefined;
  const own = (name: string): FieldType | undefined => {
    let t = fields.get(name);
    if (t === undefined) {
      t = declared(name);
      if (t !== undefined) fields.set(name, t);
    }
    return t;
  };
  return {
    shape: 'map',
    field: (name) => own(name) ?? (restType ??= rest()),
    declares: (name) => own(name) !== undefined,
  };
}

function list(keys: readonly string[], items: () => FieldType): FieldType {
  let itemType: FieldType | undefined;
  return {
    shape: 'list',
    field: () => LEAF,
    declares: () => false,
    keys,
    get items() {
      itemType ??= items();
      return itemType;
    },
  };
}
