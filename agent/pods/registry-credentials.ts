// Registry credentials from a pod's imagePullSecrets, matched to an image as
// kubelet's credential provider keyring does (pkg/credentialprovider): each
// entry of a kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg
// Secret is keyed by its host and path (scheme and a /v1/ or /v2/ prefix
// dropped); an image matches a key when the host has as many dot-separated
// parts, each matching (`*` globs allowed), the port is the same and the
// key's path is a prefix of the image's repository. More specific keys come
// first; with no match, `index.docker.io` credentials serve Docker Hub images.
// Secrets' contents never leave this module except as AuthConfigs for the
// runtime: errors name the Secret, never a value.
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { AuthConfig } from '../cri/types.js';

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CONFIG_TYPE = 'kubernetes.io/dockercfg';

export interface RegistryCredential {
  /** The key it was listed under, normalized: `host[:port][/path]`. */
  readonly key: string;
  readonly auth: AuthConfig;
}

/** The credentials of pull secrets, looked up by image. */
export class Keyring {
  readonly #entries: RegistryCredential[];

  constructor(entries: readonly RegistryCredential[]) {
    // Reverse order of keys: `quay.io/team` before `quay.io`; same keys keep their order.
    this.#entries = [...entries].sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  }

  /** Every credential for the image's repository, most specific first; none when nothing matches. */
  lookup(image: string): AuthConfig[] {
    const repository = repositoryOf(image);
    const found = this.#entries.filter((e) => keyMatches(e.key, repository)).map((e) => e.auth);
    if (found.length > 0) return found;
    if (isDockerHub(repository)) return this.#entries.filter((e) => e.key === DOCKER_HUB_KEY).map((e) => e.auth);
    return [];
  }
}

/**
 * The credentials of one Secret of a docker config type; [] for any other
 * type, as kubelet ignores those. Throws when its config does not parse
 * (the message names the Secret and what is wrong, no value).
 */
export function secretCredentials(secret: Secret): RegistryCredential[] {
  const name = `${secret.metadata?.namespace}/${secret.metadata?.name}`;
  const field = secret.type === DOCKER_CONFIG_JSON_TYPE ? '.dockerconfigjson' : secret.type === DOCKER_CONFIG_TYPE ? '.dockercfg' : undefined;
  const data = field === undefined ? undefined : secret.data?.[field];
  if (data === undefined || data === '') return [];
  let config: unknown;
  try {
    config = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    throw new Error(`image pull secret ${name}: ${field} is not valid JSON`);
  }
  // A .dockerconfigjson wraps its entries in "auths"; a .dockercfg is the entries.
  const entries = field === '.dockerconfigjson' ? (config as { auths?: unknown } | null)?.auths : config;
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
    throw new Error(`image pull secret ${name}: ${field} holds no registry entries`);
  }
  const credentials: RegistryCredential[] = [];
  for (const [location, entry] of Object.entries(entries as Record<string, unknown>)) {
    const key = normalizeKey(location);
    if (key === undefined) continue;
    credentials.push({ key, auth: entryAuth(entry, name, location) });
  }
  return credentials;
}

const DOCKER_HUB_KEY = 'index.docker.io';

/** What an entry's location is keyed as: scheme gone, `/v1/` or `/v2/` meaning the host. */
function normalizeKey(location: string): string | undefined {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//.test(location) ? location : `https://${location}`);
  } catch {
    return undefined;
  }
  let path = decodeURIComponent(url.pathname);
  if (path.startsWith('/v1/') || path.startsWith('/v2/')) path = path.slice(3);
  return path.length > 0 && path !== '/' ? `${url.host}${path}` : url.host;
}

/** username/password, from `auth` (base64 "user:password") when present, as kubelet's DockerConfigEntry reads it. */
function entryAuth(entry: unknown, secret: string, location: string): AuthConfig {
  const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  let username = typeof e['username'] === 'string' ? e['username'] : '';
  let password = typeof e['password'] === 'string' ? e['password'] : '';
  if (typeof e['auth'] === 'string' && e['auth'] !== '') {
    const decoded = Buffer.from(e['auth'], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new Error(`image pull secret ${secret}: the auth of ${location} is not base64 of "user:password"`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  return { username, password };
}

/** kubelet's URLsMatch: same port, same number of host parts each matching its glob, key path a prefix. */
function keyMatches(key: string, repository: string): boolean {
  const k = splitKey(key);
  const r = splitKey(repository);
  if (k.port !== r.port || k.hostParts.length !== r.hostParts.length || !r.path.startsWith(k.path)) return false;
  return k.hostParts.every((part, i) => globMatches(part, r.hostParts[i]!));
}

function splitKey(value: string): { hostParts: string[]; port: string; path: string } {
  const slash = value.indexOf('/');
  const hostPort = slash < 0 ? value : value.slice(0, slash);
  const path = slash < 0 ? '' : value.slice(slash);
  const colon = hostPort.lastIndexOf(':');
  const hasPort = colon >= 0 && /^\d*$/.test(hostPort.slice(colon + 1)) && !hostPort.endsWith(']');
  return { hostParts: (hasPort ? hostPort.slice(0, colon) : hostPort).split('.'), port: hasPort ? hostPort.slice(colon + 1) : '', path };
}

/** filepath.Match for one host part: `*` is any run of characters, `?` one. */
function globMatches(glob: string, part: string): boolean {
  if (!glob.includes('*') && !glob.includes('?')) return glob === part;
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`).test(part);
}

function isDockerHub(repository: string): boolean {
  return repository.startsWith('docker.io/');
}

/**
 * The image's repository, normalized as Docker's reference parser does:
 * `busybox:1.36` → `docker.io/library/busybox`, `index.docker.io/x/y` →
 * `docker.io/x/y`, `127.0.0.1:5000/app@sha256:…` → `127.0.0.1:5000/app`.
 */
export function repositoryOf(image: string): string {
  let name = image;
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const lastSlash = name.lastIndexOf('/');
  const tagColon = name.lastIndexOf(':');
  if (tagColon > lastSlash) name = name.slice(0, tagColon);
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first);
  let domain = hasDomain ? first : 'docker.io';
  let path = hasDomain ? name.slice(slash + 1) : name;
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return `${domain}/${path}`;
}
