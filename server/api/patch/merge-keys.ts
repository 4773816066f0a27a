// How strategic merge patch treats the fields of each built-in kind, read
// from the kind's OpenAPI schema (../openapi/schema.ts): the
// x-kubernetes-patch-strategy / -merge-key extensions, which upstream derives
// from the patchStrategy / patchMergeKey struct tags of its types (written
// into the schemas from tools/openapi/patch-metadata.ts). One source, so what
// the server merges is what kubectl, reading the schemas we serve, expects.
// Fields without them use the defaults: maps merge, lists are replaced.
import type { GroupVersionKind } from '../objects.js';
import { type PatchStrategy, type Schema, builtinSchemas, resolve, schemaNameOf } from '../openapi/schema.js';

export interface PatchMeta {
  /** "merge" (lists merge by key, or as a set for primitives), "replace" (a map is not merged), "retainKeys" or "merge,retainKeys". */
  readonly strategy?: PatchStrategy;
  /** For lists of objects: the field that identifies an item. */
  readonly mergeKey?: string;
}

/**
 * A kind's fields as a tree of field names; list items share their list's
 * node, and every value of a map (additionalProperties) has the map's
 * `values` node. Nodes are built as a patch reaches them.
 */
export interface SchemaNode {
  readonly meta?: PatchMeta;
  readonly fields: ReadonlyMap<string, SchemaNode>;
  readonly values?: SchemaNode;
}

/** The field tree of a kind that supports strategic merge patch (a built-in kind); undefined for other kinds (custom resources). */
export function strategicSchema(kind: GroupVersionKind): SchemaNode | undefined {
  const name = schemaNameOf(kind);
  if (name === undefined) return undefined;
  let root = roots.get(name);
  if (root === undefined) {
    root = new Node(builtinSchemas()[name]);
    roots.set(name, root);
  }
  return root;
}

export function supportsStrategicMerge(kind: GroupVersionKind): boolean {
  return schemaNameOf(kind) !== undefined;
}

/** The node of an object's field `key`: a declared field, or any key of a map. */
export function childNode(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  return node?.fields.get(key) ?? node?.values;
}

/** Per kind (by schema name); the schema data is loaded on the first look-up, not at start-up. */
const roots = new Map<string, SchemaNode>();
/** Per type: the nodes of its fields, shared by every place the type is used (pod templates). */
const fieldsOfType = new WeakMap<Schema, ReadonlyMap<string, SchemaNode>>();

/**
 * The node of a property: its own patch extensions (upstream reads them on
 * the property, beside the allOf that wraps a reference), and the fields of
 * its type, or of its items' type for a list, worked out on first use: the
 * types are recursive (JSONSchemaProps), the nodes a patch reaches are few.
 */
class Node implements SchemaNode {
  readonly meta?: PatchMeta;
  readonly #type: Schema;
  #values: SchemaNode | null | undefined;

  constructor(property: Schema) {
    const strategy = property['x-kubernetes-patch-strategy'];
    const mergeKey = property['x-kubernetes-patch-merge-key'];
    if (strategy !== undefined || mergeKey !== undefined) {
      this.meta = { ...(strategy !== undefined ? { strategy } : {}), ...(mergeKey !== undefined ? { mergeKey } : {}) };
    }
    const schemas = builtinSchemas();
    const type = resolve(property, schemas);
    this.#type = type.items !== undefined ? resolve(type.items, schemas) : type;
  }

  get fields(): ReadonlyMap<string, SchemaNode> {
    let fields = fieldsOfType.get(this.#type);
    if (fields === undefined) {
      fields = new Map(Object.entries(this.#type.properties ?? {}).map(([name, property]) => [name, new Node(property)]));
      fieldsOfType.set(this.#type, fields);
    }
    return fields;
  }

  get values(): SchemaNode | undefined {
    if (this.#values === undefined) {
      const values = this.#type.additionalProperties;
      this.#values = typeof values === 'object' ? new Node(values) : null;
    }
    return this.#values ?? undefined;
  }
}
