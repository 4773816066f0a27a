// /openapi/v3 (index and one document per group/version) and /openapi/v2, as
// kubectl 1.27–1.33 read them: `apply`, `create -f`, `replace` and `edit`
// validate against them by default, `explain` prints them, and `apply`
// computes strategic merge patches from their x-kubernetes-patch-* extensions.
import { createHash } from 'node:crypto';
import { KUBERNETES_VERSION } from '../../../common/version.js';
import { isCustomResourceType } from '../crd/resource-types.js';
import { type HttpAnswer, errorAnswer, jsonAnswer } from '../http-answer.js';
import type { GroupVersionKind } from '../objects.js';
import type { ResourceType } from '../resources.js';
import { ApiError } from '../status.js';
import { type PathItem, addResourcePaths } from './paths.js';
import { type Schema, builtinSchemas, refTo, refsOf, schemaNameOf } from './schema.js';

const V3 = '/openapi/v3';
// kubectl 1.27/1.28 fetch this eagerly and parse it as protobuf. Upstream's
// dot form: the `@` form (as in the Accept header) makes kubectl fail with
// "mime: unexpected content after media subtype".
const V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const NO_CACHE = { 'Cache-Control': 'no-cache, private' };

/** Answers /openapi/v2, /openapi/v3 and /openapi/v3/<api/v1|apis/group/version>; undefined for any other path (or an unserved group/version). */
export function openapi(types: readonly ResourceType[], path: string, query: URLSearchParams, accept: string | undefined): HttpAnswer | undefined {
  if (path === '/openapi/v2') return v2(accept);
  if (path === V3) {
    const paths = Object.fromEntries(groupVersionPaths(types).map((gv) => [gv, { serverRelativeURL: serverRelativeURL(gv, documentOf(types, gv).hash) }]));
    return jsonAnswer(200, { paths }, NO_CACHE);
  }
  if (!path.startsWith(`${V3}/`)) return undefined;
  const gv = path.slice(V3.length + 1);
  if (!groupVersionPaths(types).includes(gv)) return undefined;
  if (!acceptsJson(accept)) return errorAnswer(new ApiError(406, 'NotAcceptable', 'only the following media types are accepted: application/json'));
  const doc = documentOf(types, gv);
  const hash = query.get('hash');
  if (hash === null || hash === '') return { status: 200, headers: { 'Content-Type': 'application/json', ETag: `"${doc.hash}"`, Vary: 'Accept', ...NO_CACHE }, body: doc.body };
  // A stale hash (the types changed since the client read the index) goes to the current document.
  if (hash !== doc.hash) return { status: 301, headers: { Location: serverRelativeURL(gv, doc.hash), ...NO_CACHE }, body: '' };
  const expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json', ETag: `"${doc.hash}"`, Vary: 'Accept', 'Cache-Control': 'public, immutable', Expires: expires },
    body: doc.body,
  };
}

/**
 * An empty v2 document. kubectl 1.27/1.28 only need /openapi/v2 to answer:
 * they take validation and explain from v3, and with no v2 schema compute
 * apply's strategic patches from their compiled-in types (1.29+ use v3).
 * JSON only for clients that ask for nothing but JSON.
 */
function v2(accept: string | undefined): HttpAnswer {
  const wantsJson = accept !== undefined && !accept.includes('protobuf') && acceptsJson(accept);
  if (wantsJson) {
    return jsonAnswer(200, { swagger: '2.0', info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion }, paths: {} }, NO_CACHE);
  }
  return { status: 200, headers: { 'Content-Type': V2_PROTOBUF, ...NO_CACHE }, body: '' };
}

function serverRelativeURL(gv: string, hash: string): string {
  return `${V3}/${gv}?hash=${hash}`;
}

/** "api/v1", "apis/apps/v1", … in a stable order. */
function groupVersionPaths(types: readonly ResourceType[]): string[] {
  return [...new Set(types.map(gvPath))].sort();
}

function gvPath(r: ResourceType): string {
  return r.group === '' ? `api/${r.version}` : `apis/${r.group}/${r.version}`;
}

function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return ['application/json', 'application/*', '*/*'].includes(type) && (q === undefined || Number(q.slice(2)) > 0);
  });
}

interface Document {
  /** The types it was built from, so a change (a CRD added) rebuilds it. */
  readonly key: string;
  readonly body: string;
  /** Upstream's: the upper-case hex SHA-512 of the body. */
  readonly hash: string;
}

const documents = new Map<string, Document>();

function documentOf(types: readonly ResourceType[], gv: string): Document {
  const served = types.filter((r) => gvPath(r) === gv).sort((a, b) => (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0));
  const key = JSON.stringify(served);
  const cached = documents.get(gv);
  if (cached !== undefined && cached.key === key) return cached;
  const body = JSON.stringify(buildDocument(served));
  const doc: Document = { key, body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
  documents.set(gv, doc);
  return doc;
}

function buildDocument(served: readonly ResourceType[]): Record<string, unknown> {
  const builtin = builtinSchemas();
  const custom = new Map<string, Schema>();
  for (const r of served) {
    if (schemaNameOf(r) === undefined) for (const [name, schema] of customSchemas(r)) custom.set(name, schema);
  }
  const nameOf = (gvk: GroupVersionKind): string | undefined => schemaNameOf(gvk) ?? (custom.has(customName(gvk)) ? customName(gvk) : undefined);

  const paths: Record<string, PathItem> = {};
  const pending: string[] = [];
  for (const r of served) pending.push(...addResourcePaths(paths, r, nameOf, schemaNameOf(r) !== undefined));
  // The referenced schemas and everything they refer to.
  const schemas: Record<string, Schema> = {};
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (name in schemas) continue;
    const schema = builtin[name] ?? custom.get(name);
    if (schema === undefined) throw new Error(`OpenAPI: no schema ${name}`);
    schemas[name] = schema;
    const refs = new Set<string>();
    refsOf(schema, refs);
    pending.push(...refs);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
    paths: sortedRecord(paths),
    components: { schemas: sortedRecord(schemas) },
  };
}

/** Upstream's name for a custom kind's schema: the group reversed ("com.example.stable.v1.CronTab"). */
function customName(gvk: GroupVersionKind): string {
  return `${gvk.group.split('.').reverse().join('.')}.${gvk.version}.${gvk.kind}`;
}

/**
 * Schemas for a type that has no generated one (a custom resource): the
 * object as its CRD's schema describes it (any field, for a type that does
 * not say), and its list, typed.
 */
function customSchemas(r: ResourceType): [string, Schema][] {
  const gvk = (kind: string): GroupVersionKind => ({ group: r.group, version: r.version, kind });
  const typeMeta = { apiVersion: { type: 'string' }, kind: { type: 'string' } } as const;
  const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
  const described: Schema = isCustomResourceType(r)
    ? r.schema
    : { type: 'object', properties: { ...typeMeta, metadata: { allOf: [refTo(`${meta}ObjectMeta`)] } }, 'x-kubernetes-preserve-unknown-fields': true };
  const object: Schema = { ...described, 'x-kubernetes-group-version-kind': [gvk(r.kind)] };
  const list: Schema = {
    type: 'object',
    properties: { ...typeMeta, items: { type: 'array', items: refTo(customName(gvk(r.kind))) }, metadata: { allOf: [refTo(`${meta}ListMeta`)] } },
    required: ['items'],
    'x-kubernetes-group-version-kind': [gvk(r.listKind)],
  };
  return [
    [customName(gvk(r.kind)), object],
    [customName(gvk(r.listKind)), list],
  ];
}

function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
