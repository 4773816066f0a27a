// API discovery as kube-apiserver serves it: aggregated discovery (v2 and
// v2beta1) for /api and /apis when the Accept header asks for it, the legacy
// documents otherwise, and /version. client-go tells aggregated from legacy
// by the response's Content-Type parameters, so those must echo the request.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { goArch, goOs, KUBERNETES_VERSION } from '../../common/version.js';
import type { ApiGroup, Catalogue } from './catalogue.js';
import { type HttpAnswer, errorAnswer, jsonAnswer } from './http-answer.js';
import { type GroupVersionKind, apiVersionOf } from './objects.js';
import type { ResourceType } from './resources.js';
import { ApiError, errors } from './status.js';

type Format = 'v2' | 'v2beta1' | 'json';

const CONTENT_TYPES: Readonly<Record<Format, string>> = {
  v2: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  v2beta1: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  json: 'application/json',
};
const ROOT_FORMATS: readonly Format[] = ['v2', 'v2beta1', 'json'];
const LEGACY_ONLY: readonly Format[] = ['json'];

/** Answers /api, /apis, /api/v1, /apis/<group>, /apis/<group>/<version> (GET), or undefined for any other path. */
export function discover(catalogue: Catalogue, path: string, accept: string | undefined, ifNoneMatch: string | undefined): HttpAnswer | undefined {
  const segments = path.replace(/\?.*$/s, '').split('/').filter((s) => s !== '');
  const [root, first, second] = segments;
  if (segments.length === 0 || segments.length > (root === 'apis' ? 3 : 2) || (root !== 'api' && root !== 'apis')) return undefined;
  const groups = catalogue.groups();

  if (first === undefined) {
    const format = negotiate(accept, ROOT_FORMATS);
    if (format === undefined) return notAcceptable(ROOT_FORMATS);
    const served = groups.filter((g) => (root === 'api') === (g.name === ''));
    if (format !== 'json') return aggregated(catalogue, served, format, ifNoneMatch);
    const body =
      root === 'api'
        ? { kind: 'APIVersions', versions: served.flatMap((g) => g.versions), serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] }
        : { kind: 'APIGroupList', apiVersion: 'v1', groups: served.map(apiGroup) };
    // The document depends on Accept: shared caches must not hand it to an aggregated request.
    return jsonAnswer(200, body, { Vary: 'Accept' });
  }

  const group = groups.find((g) => g.name === (root === 'api' ? '' : first));
  const version = root === 'api' ? first : second;
  if (group === undefined || (version !== undefined && !group.versions.includes(version))) return errorAnswer(errors.notFoundPath());
  if (negotiate(accept, LEGACY_ONLY) === undefined) return notAcceptable(LEGACY_ONLY);
  if (version === undefined) return jsonAnswer(200, { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) });
  const resources = sorted(catalogue.all().filter((r) => r.group === group.name && r.version === version));
  return jsonAnswer(200, {
    kind: 'APIResourceList',
    // Upstream leaves apiVersion out of the core list only.
    ...(group.name === '' ? {} : { apiVersion: 'v1' }),
    groupVersion: apiVersionOf(group.name, version),
    resources: resources.flatMap(legacyResources),
  });
}

/** The /version document. */
export function versionInfo(): Record<string, string> {
  return {
    major: KUBERNETES_VERSION.major,
    minor: KUBERNETES_VERSION.minor,
    gitVersion: KUBERNETES_VERSION.gitVersion,
    gitCommit: 'unknown',
    gitTreeState: 'clean',
    buildDate: BUILD_DATE,
    goVersion: 'n/a',
    compiler: 'node',
    platform: `${goOs()}/${goArch()}`,
  };
}

// tsc writes this module when it builds the server: its time is the build date, in Go's format.
const BUILD_DATE = statSync(fileURLToPath(import.meta.url)).mtime.toISOString().replace(/\.\d+Z$/, 'Z');

function aggregated(catalogue: Catalogue, groups: readonly ApiGroup[], format: 'v2' | 'v2beta1', ifNoneMatch: string | undefined): HttpAnswer {
  const all = catalogue.all();
  const body = JSON.stringify({
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${format}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.name },
      versions: g.versions.map((version) => ({
        version,
        resources: sorted(all.filter((r) => r.group === g.name && r.version === version)).map(aggregatedResource),
        freshness: 'Current',
      })),
    })),
  });
  // Upstream's ETag: the quoted SHA-512 of the document, so it survives restarts and differs per format.
  const etag = `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"`;
  const headers = { ETag: etag, Vary: 'Accept' };
  if (ifNoneMatch !== undefined && matchesETag(ifNoneMatch, etag)) return { status: 304, headers, body: '' };
  return { status: 200, headers: { 'Content-Type': CONTENT_TYPES[format], ...headers }, body };
}

function aggregatedResource(r: ResourceType): Record<string, unknown> {
  return {
    resource: r.plural,
    responseKind: responseKind(r, r),
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    ...(r.subresources.length > 0
      ? {
          subresources: sortedSubresources(r).map((s) => ({ subresource: s.name, responseKind: responseKind(r, s.kind), verbs: s.verbs })),
        }
      : {}),
  };
}

/** Legacy APIResource entries: the type, then each subresource as "plural/name". */
function legacyResources(r: ResourceType): Record<string, unknown>[] {
  const kindFields = (kind: GroupVersionKind) => {
    const { group, version } = responseKind(r, kind);
    return { ...(group === '' && version === '' ? {} : { group, version }), kind: kind.kind };
  };
  return [
    {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      ...kindFields(r),
      verbs: r.verbs,
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    },
    ...sortedSubresources(r).map((s) => ({ name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced, ...kindFields(s.kind), verbs: s.verbs })),
  ];
}

/** Like upstream, group and version stay empty when they are the resource's own. */
function responseKind(r: ResourceType, kind: GroupVersionKind): GroupVersionKind {
  return kind.group === r.group && kind.version === r.version ? { group: '', version: '', kind: kind.kind } : { group: kind.group, version: kind.version, kind: kind.kind };
}

function apiGroup(g: ApiGroup): Record<string, unknown> {
  const version = (v: string) => ({ groupVersion: apiVersionOf(g.name, v), version: v });
  return { name: g.name, versions: g.versions.map(version), preferredVersion: version(g.preferred) };
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sorted = (types: readonly ResourceType[]) => [...types].sort((a, b) => byName(a.plural, b.plural));
const sortedSubresources = (r: ResourceType) => [...r.subresources].sort((a, b) => byName(a.name, b.name));

/** The first of `offered` that the Accept header prefers (by q, then order), or undefined for a 406. */
function negotiate(accept: string | undefined, offered: readonly Format[]): Format | undefined {
  // No preference: the legacy document, which every discovery path offers.
  if (accept === undefined || accept.trim() === '') return 'json';
  const ranges = accept
    .split(',')
    .map(parseRange)
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const range of ranges) {
    const format = offered.find((f) => rangeMatches(range, f));
    if (format !== undefined) return format;
  }
  return undefined;
}

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
}

function parseRange(text: string): MediaRange {
  const [type = '', ...rest] = text.split(';').map((p) => p.trim());
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  const q = params.has('q') ? Number(params.get('q')) : 1;
  return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
}

function rangeMatches(range: MediaRange, format: Format): boolean {
  const g = range.params.get('g');
  const v = range.params.get('v');
  const as = range.params.get('as');
  if (format === 'json') {
    // A range naming another kind (as=Table, a discovery format) is not plain JSON.
    return g === undefined && v === undefined && as === undefined && ['application/json', 'application/*', '*/*'].includes(range.type);
  }
  return range.type === 'application/json' && g === 'apidiscovery.k8s.io' && v === format && as === 'APIGroupDiscoveryList';
}

function matchesETag(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

function notAcceptable(offered: readonly Format[]): HttpAnswer {
  const types = offered.map((f) => CONTENT_TYPES[f]).join(', ');
  return errorAnswer(new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${types}`));
}
