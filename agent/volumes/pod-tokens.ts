// Service account tokens for projected volumes, as kubelet's token manager
// gets them: a TokenRequest bound to the pod (so the token dies with it),
// kept in memory and asked again once 80 % of its lifetime has passed (or
// a day, whichever is first). A failed refresh keeps the old token while it
// is still valid. Tokens are never logged.
import type { Pod, ServiceAccountTokenProjection } from 'kubernetes-types/core/v1.js';
import type { NodeApi } from './node-api.js';

/** kubelet's maxTTL: a token older than this is renewed whatever its lifetime. */
const MAX_AGE_MS = 24 * 3600 * 1000;

interface Held {
  readonly token: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

interface TokenRequestAnswer {
  status?: { token?: unknown; expirationTimestamp?: unknown };
}

export class PodTokens {
  /** "podUid/serviceAccount/audience/seconds" → token. */
  readonly #held = new Map<string, Held>();

  constructor(
    private readonly api: NodeApi,
    private readonly now: () => number = Date.now,
  ) {}

  async token(pod: Pod, projection: ServiceAccountTokenProjection): Promise<string> {
    const meta = pod.metadata!;
    const account = pod.spec?.serviceAccountName || 'default';
    const seconds = projection.expirationSeconds ?? 3600;
    const key = `${meta.uid}/${account}/${projection.audience ?? ''}/${seconds}`;
    const held = this.#held.get(key);
    const now = this.now();
    if (held !== undefined && !needsRefresh(held, now)) return held.token;
    try {
      const answer = await this.api.post<TokenRequestAnswer>(`/api/v1/namespaces/${encodeURIComponent(meta.namespace!)}/serviceaccounts/${encodeURIComponent(account)}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: projection.audience ? [projection.audience] : [],
          expirationSeconds: seconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: meta.name, uid: meta.uid },
        },
      });
      const token = answer.status?.token;
      const expires = Date.parse(String(answer.status?.expirationTimestamp ?? ''));
      if (typeof token !== 'string' || token === '' || !Number.isFinite(expires)) throw new Error('the TokenRequest answer has no token or expiration');
      this.#held.set(key, { token, issuedAt: now, expiresAt: expires });
      return token;
    } catch (err) {
      if (held !== undefined && held.expiresAt > now) return held.token;
      throw new Error(`failed to fetch token: ${(err as Error).message}`);
    }
  }

  /** Drops the tokens of a pod that is gone. */
  forget(podUid: string): void {
    for (const key of this.#held.keys()) if (key.startsWith(`${podUid}/`)) this.#held.delete(key);
  }
}

function needsRefresh(held: Held, now: number): boolean {
  const lifetime = held.expiresAt - held.issuedAt;
  return now >= held.issuedAt + lifetime * 0.8 || now >= held.issuedAt + MAX_AGE_MS;
}
