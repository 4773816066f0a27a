// POST …/namespaces/NS/serviceaccounts/NAME/token, as `kubectl create token`
// sends it (JSON up to 1.31, protobuf from 1.32): an authentication.k8s.io/v1
// TokenRequest in, the same with status.token and expirationTimestamp out,
// worded as upstream's TokenREST (pkg/registry/core/serviceaccount/storage).
// A token may be bound to a pod (as kubelet asks for projected volumes): it
// then names the pod and stops working once the pod is gone.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeDocument, readBody } from '../http/body.js';
import { sendJson } from '../http/respond.js';
import { addWarning } from '../http/warnings.js';
import type { Catalogue } from '../catalogue.js';
import type { Registry } from '../registry/registry.js';
import type { ApiVerb } from '../request-info.js';
import type { ResourceType } from '../resources.js';
import { ApiError, errors, type StatusCause } from '../status.js';
import { API_AUDIENCES, type ServiceAccountTokens } from './service-account-tokens.js';
import { metaTime } from '../objects.js';

const GROUP = 'authentication.k8s.io';
const API_VERSION = `${GROUP}/v1`;
const DEFAULT_EXPIRATION_S = 3600;
const MIN_EXPIRATION_S = 600;
/** Upstream's validation limit; a request above MAX_EXPIRATION_S is shortened, not refused. */
const LIMIT_EXPIRATION_S = 2 ** 32;
/** Bramble's --service-account-max-token-expiration: a day. */
const MAX_EXPIRATION_S = 86_400;

interface TokenRequestBody {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown } | null;
  spec?: { audiences?: unknown; expirationSeconds?: unknown; boundObjectRef?: unknown } | null;
}

export async function createTokenRequest(
  ctx: { readonly registry: Registry; readonly catalogue: Catalogue; readonly tokens: ServiceAccountTokens },
  serviceAccounts: ResourceType,
  namespace: string,
  name: string,
  verb: ApiVerb,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (verb !== 'create') throw errors.methodNotAllowed(req.method ?? '');
  const body = tokenRequestOf(decodeDocument(await readBody(req), req.headers['content-type']));
  const meta = body.metadata ?? {};
  if (meta.name !== undefined && meta.name !== '' && meta.name !== name) {
    throw invalid(name, [fieldInvalid('metadata.name', meta.name, 'must match the service account name if specified')]);
  }
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
    throw invalid(name, [fieldInvalid('metadata.namespace', meta.namespace, 'must match the service account namespace if specified')]);
  }
  const sa = await ctx.registry.get(serviceAccounts, namespace, name);
  const spec = body.spec ?? {};
  const audiences = audiencesOf(spec.audiences);
  const requested = spec.expirationSeconds ?? DEFAULT_EXPIRATION_S;
  if (typeof requested !== 'number' || !Number.isInteger(requested)) {
    throw errors.badRequest(`spec.expirationSeconds must be an integer, not ${JSON.stringify(requested)}`);
  }
  if (requested < MIN_EXPIRATION_S) throw invalid('', [fieldInvalid('spec.expirationSeconds', requested, 'may not specify a duration less than 10 minutes')]);
  if (requested > LIMIT_EXPIRATION_S) throw invalid('', [fieldInvalid('spec.expirationSeconds', requested, 'may not specify a duration larger than 2^32 seconds')]);
  const bound = await boundPod(ctx, namespace, name, spec.boundObjectRef);
  let expirationSeconds = requested;
  if (expirationSeconds > MAX_EXPIRATION_S) {
    addWarning(res, `requested expiration of ${expirationSeconds} seconds shortened to ${MAX_EXPIRATION_S} seconds`);
    expirationSeconds = MAX_EXPIRATION_S;
  }
  // Whole seconds, as the token's iat and exp: the expirationTimestamp is then exactly its exp.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const token = ctx.tokens.issue({ namespace, name, uid: sa.metadata.uid! }, { audiences, expirationSeconds, now, ...(bound !== undefined ? { pod: bound } : {}) });
  return sendJson(
    res,
    201,
    {
      kind: 'TokenRequest',
      apiVersion: API_VERSION,
      metadata: { name, namespace, creationTimestamp: metaTime(now) },
      spec: { audiences, expirationSeconds, boundObjectRef: bound !== undefined ? { kind: 'Pod', apiVersion: 'v1', ...bound } : null },
      status: { token, expirationTimestamp: metaTime(new Date(now.getTime() + expirationSeconds * 1000)) },
    },
  );
}

/** The pod a token is bound to, checked as TokenREST checks it; undefined for an unbound token. */
async function boundPod(
  ctx: { readonly registry: Registry; readonly catalogue: Catalogue },
  namespace: string,
  serviceAccount: string,
  ref: unknown,
): Promise<{ name: string; uid: string } | undefined> {
  if (ref === undefined || ref === null) return undefined;
  if (typeof ref !== 'object' || Array.isArray(ref)) throw errors.badRequest('spec.boundObjectRef must be an object');
  const { kind, apiVersion, name, uid } = ref as { kind?: unknown; apiVersion?: unknown; name?: unknown; uid?: unknown };
  if (kind !== 'Pod' || (apiVersion !== undefined && apiVersion !== 'v1')) {
    throw errors.badRequest(`cannot bind token to object of type ${String(apiVersion ?? '')}, Kind=${String(kind ?? '')} (only v1 Pods on this server)`);
  }
  if (typeof name !== 'string' || name === '') throw invalid('', [fieldInvalid('spec.boundObjectRef.name', name ?? '', 'must be set')]);
  const pod = await ctx.registry.get(ctx.catalogue.get('', 'v1', 'pods')!, namespace, name);
  if (uid !== undefined && uid !== '' && uid !== pod.metadata.uid) {
    throw new ApiError(
      409,
      'Conflict',
      `the UID in the bound object reference (${String(uid)}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  const podAccount = (pod['spec'] as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default';
  if (podAccount !== serviceAccount) throw errors.badRequest(`cannot bind token for serviceaccount "${serviceAccount}" to pod running with different serviceaccount name.`);
  return { name, uid: pod.metadata.uid! };
}

function tokenRequestOf(value: unknown): TokenRequestBody {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.badRequest('the request body must be a JSON or YAML object');
  const body = value as TokenRequestBody;
  if (body.apiVersion !== undefined && body.apiVersion !== API_VERSION) {
    throw errors.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${API_VERSION})`);
  }
  if (body.kind !== undefined && body.kind !== 'TokenRequest') {
    throw errors.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (TokenRequest)`);
  }
  return body;
}

/** Empty or absent: the API server's own audiences. */
function audiencesOf(value: unknown): string[] {
  if (value === undefined || value === null) return [...API_AUDIENCES];
  if (!Array.isArray(value) || !value.every((a) => typeof a === 'string')) throw errors.badRequest('spec.audiences must be a list of strings');
  return value.length === 0 ? [...API_AUDIENCES] : value;
}

function invalid(name: string, causes: StatusCause[]): ApiError {
  const message = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new ApiError(422, 'Invalid', `TokenRequest.${GROUP} "${name}" is invalid: ${message}`, { name, group: GROUP, kind: 'TokenRequest', causes });
}

function fieldInvalid(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field };
}

