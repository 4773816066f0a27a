// The OpenAPI v3 component schemas of the built-in kinds, named as upstream
// names them (io.k8s.api.apps.v1.Deployment). They are generated from the
// kubernetes-types declarations by tools/openapi/generate.ts into
// schemas.json.gz beside this file; regenerate with
//   npm run openapi:generate
// The file is read on first use, so server start-up does not pay for it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../../../common/package-root.js';
import type { GroupVersionKind } from '../objects.js';

/** The subset of an OpenAPI v3 schema object that Kubernetes uses. */
export interface Schema {
  readonly description?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly format?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  readonly allOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly $ref?: string;
  readonly 'x-kubernetes-group-version-kind'?: readonly GroupVersionKind[];
  readonly 'x-kubernetes-int-or-string'?: true;
  readonly 'x-kubernetes-preserve-unknown-fields'?: true;
  readonly 'x-kubernetes-patch-strategy'?: PatchStrategy;
  readonly 'x-kubernetes-patch-merge-key'?: string;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

/** How strategic merge patch treats a field (upstream's patchStrategy struct tag); server/api/patch reads it from here. */
export type PatchStrategy = 'merge' | 'merge,retainKeys' | 'retainKeys' | 'replace';

/** The generated file: the kubernetes-types version it came from and the schemas by name. */
export interface SchemaData {
  readonly source: string;
  readonly schemas: Readonly<Record<string, Schema>>;
}

export const REF_PREFIX = '#/components/schemas/';

/** The committed file, read where it is in the package. */
const DATA_FILE = join(PACKAGE_ROOT, 'server/api/openapi/schemas.json.gz');

interface Loaded {
  readonly schemas: Readonly<Record<string, Schema>>;
  /** "apps/v1/Deployment" → "io.k8s.api.apps.v1.Deployment" */
  readonly byKind: ReadonlyMap<string, string>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded === undefined) {
    const data = JSON.parse(gunzipSync(readFileSync(DATA_FILE)).toString('utf8')) as SchemaData;
    const byKind = new Map<string, string>();
    for (const [name, schema] of Object.entries(data.schemas)) {
      for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) byKind.set(kindKey(gvk), name);
    }
    loaded = { schemas: data.schemas, byKind };
  }
  return loaded;
}

function kindKey(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

/** Every generated schema by name. */
export function builtinSchemas(): Readonly<Record<string, Schema>> {
  return load().schemas;
}

/** The name of the generated schema of a built-in kind, or undefined (custom resources have none). */
export function schemaNameOf(gvk: GroupVersionKind): string | undefined {
  return load().byKind.get(kindKey(gvk));
}

export function refTo(name: string): Schema {
  return { $ref: REF_PREFIX + name };
}

/** The schema a property stands for: follows `allOf: [{$ref}]` and `$ref` to the named schema. */
export function resolve(schema: Schema, schemas: Readonly<Record<string, Schema>>): Schema {
  let s = schema;
  // Generated schemas nest at most allOf → $ref; the bound only guards against a cycle.
  for (let i = 0; i < 8; i++) {
    const next = s.$ref !== undefined ? schemas[s.$ref.slice(REF_PREFIX.length)] : s.allOf?.length === 1 ? s.allOf[0] : undefined;
    if (next === undefined) return s;
    s = next;
  }
  return s;
}

/** Names of the schemas `schema` refers to, directly or through nested properties. */
export function refsOf(schema: Schema, into: Set<string>): void {
  if (schema.$ref !== undefined) into.add(schema.$ref.slice(REF_PREFIX.length));
  for (const s of schema.allOf ?? []) refsOf(s, into);
  for (const s of schema.oneOf ?? []) refsOf(s, into);
  for (const s of Object.values(schema.properties ?? {})) refsOf(s, into);
  if (schema.items !== undefined) refsOf(schema.items, into);
  if (typeof schema.additionalProperties === 'object') refsOf(schema.additionalProperties, into);
}
