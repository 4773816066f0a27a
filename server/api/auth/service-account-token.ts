// Service-account tokens as upstream issues them (pkg/serviceaccount/claims.go):
// a JWT with iss, sub system:serviceaccount:NS:NAME, aud, exp/iat/nbf, jti and
// a "kubernetes.io" claim naming the namespace and the ServiceAccount's name
// and uid. Verification here is what the token alone can prove; whether the
// ServiceAccount still exists is the caller's check.
import { type KeyObject, randomUUID } from 'node:crypto';
import { type JwtClaims, signJwt, verifyJwt } from './jwt.js';
import { SERVICE_ACCOUNT_USER_PREFIX } from './user.js';

/** Upstream's default --service-account-issuer (kubeadm, k3s); also the API server's audience. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** go-jose's DefaultLeeway, which upstream applies to exp, nbf and iat. */
const LEEWAY_S = 60;

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** The pod a token is bound to. */
export interface BoundPod {
  readonly name: string;
  readonly uid: string;
}

export interface TokenSpec {
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  readonly now: Date;
  readonly pod?: BoundPod;
}

export type TokenCheck =
  | {
      readonly ok: true;
      readonly serviceAccount: ServiceAccountRef;
      readonly pod?: BoundPod;
      /** The token's audiences among those accepted. */
      readonly audiences: readonly string[];
      readonly jti?: string;
    }
  | { readonly ok: false; readonly reason: string };

export function serviceAccountUserName(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`;
}

export function issueServiceAccountToken(key: KeyObject, sa: ServiceAccountRef, spec: TokenSpec): string {
  const now = Math.floor(spec.now.getTime() / 1000);
  return signJwt(
    {
      aud: spec.audiences,
      exp: now + spec.expirationSeconds,
      iat: now,
      iss: SERVICE_ACCOUNT_ISSUER,
      jti: randomUUID(),
      'kubernetes.io': { namespace: sa.namespace, ...(spec.pod !== undefined ? { pod: { name: spec.pod.name, uid: spec.pod.uid } } : {}), serviceaccount: { name: sa.name, uid: sa.uid } },
      nbf: now,
      sub: serviceAccountUserName(sa.namespace, sa.name),
    },
    key,
  );
}

/** Signature, issuer, time and audience; then the ServiceAccount the token names. */
export function checkServiceAccountToken(token: string, key: KeyObject, audiences: readonly string[], now: Date): TokenCheck {
  const claims = verifyJwt(token, key);
  if (claims === undefined) return refused('malformed token or bad signature');
  if (claims['iss'] !== SERVICE_ACCOUNT_ISSUER) return refused('unknown issuer');
  const seconds = now.getTime() / 1000;
  const exp = claims['exp'];
  if (typeof exp !== 'number' || seconds > exp + LEEWAY_S) return refused('token has expired');
  for (const field of ['nbf', 'iat']) {
    const value = claims[field];
    if (value !== undefined && (typeof value !== 'number' || value > seconds + LEEWAY_S)) return refused(`token is not valid yet (${field})`);
  }
  const aud = typeof claims['aud'] === 'string' ? [claims['aud']] : claims['aud'];
  const accepted = Array.isArray(aud) ? audiences.filter((a) => aud.includes(a)) : [];
  if (accepted.length === 0) return refused('token is not for this audience');
  const sa = serviceAccountOf(claims);
  if (sa === undefined || claims['sub'] !== serviceAccountUserName(sa.namespace, sa.name)) return refused('token names no service account');
  const pod = podOf(claims);
  if (pod === null) return refused('token names a malformed pod');
  const jti = claims['jti'];
  return { ok: true, serviceAccount: sa, ...(pod !== undefined ? { pod } : {}), audiences: accepted, ...(typeof jti === 'string' && jti !== '' ? { jti } : {}) };
}

function serviceAccountOf(claims: JwtClaims): ServiceAccountRef | undefined {
  const k8s = claims['kubernetes.io'] as { namespace?: unknown; serviceaccount?: { name?: unknown; uid?: unknown } } | undefined;
  const namespace = k8s?.namespace;
  const name = k8s?.serviceaccount?.name;
  const uid = k8s?.serviceaccount?.uid;
  if (typeof namespace !== 'string' || typeof name !== 'string' || typeof uid !== 'string') return undefined;
  return { namespace, name, uid };
}

/** The bound pod claim: undefined when absent, null when malformed. */
function podOf(claims: JwtClaims): BoundPod | undefined | null {
  const pod = (claims['kubernetes.io'] as { pod?: { name?: unknown; uid?: unknown } } | undefined)?.pod;
  if (pod === undefined) return undefined;
  return typeof pod?.name === 'string' && typeof pod.uid === 'string' ? { name: pod.name, uid: pod.uid } : null;
}

function refused(reason: string): TokenCheck {
  return { ok: false, reason };
}
