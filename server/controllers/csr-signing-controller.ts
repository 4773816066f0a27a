// Signs approved CertificateSigningRequests with the cluster CA, as
// kube-controller-manager's csrsigning controllers do for the
// kubernetes.io/kube-apiserver-client and
// kubernetes.io/kube-apiserver-client-kubelet signers: a request approved,
// not failed and not yet issued gets status.certificate, or a Failed
// condition (SignerValidationFailure) when it is not one the signer may
// issue. The certificate lasts expirationSeconds, at most a year (upstream's
// --cluster-signing-duration default) and at least 10 minutes.
import type { CertificateSigningRequestCondition } from 'kubernetes-types/certificates/v1.js';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import type { Catalogue } from '../api/catalogue.js';
import { type CsrObject, KUBE_APISERVER_CLIENT_SIGNER, KUBELET_CLIENT_SIGNER } from '../api/kinds/certificate-signing-requests.js';
import { metaTime } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { type CertificateRequest, parseCertificateRequest, requestAltNames, requestOrganizations } from '../pki/certificate-requests.js';
import { isGone } from './delete-all.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';

const MAX_TTL_MS = 365 * 24 * 3_600_000;
const MIN_TTL_MS = 10 * 60_000;

/** Issues a certificate for the request, signed by the cluster CA (server/pki). */
export type RequestSigner = (csr: CertificateRequest, usages: readonly string[], ttlMs: number) => Promise<string>;

export interface CsrSigningControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly sign: RequestSigner;
  readonly log: Logger;
}

export class CsrSigningController {
  readonly #requests: SharedInformer;
  readonly #type: ResourceType;
  readonly #queue: WorkQueue;

  private constructor(private readonly opts: CsrSigningControllerOptions) {
    this.#type = opts.catalogue.get('certificates.k8s.io', 'v1', 'certificatesigningrequests')!;
    this.#requests = opts.informers.of('certificates.k8s.io', 'v1', 'certificatesigningrequests');
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('could not sign a certificate signing request', { csr: key, error: err, retryInMs }),
    );
    this.#requests.subscribe((key) => this.#queue.add(key));
  }

  static async start(opts: CsrSigningControllerOptions): Promise<CsrSigningController> {
    const controller = new CsrSigningController(opts);
    await controller.#requests.start();
    return controller;
  }

  async reconcile(key: string): Promise<void> {
    const csr = this.#requests.get(key) as CsrObject | undefined;
    if (csr === undefined || !isApproved(csr) || hasCondition(csr, 'Failed') || csr.status?.certificate) return;
    const signerName = csr.spec.signerName;
    if (signerName !== KUBE_APISERVER_CLIENT_SIGNER && signerName !== KUBELET_CLIENT_SIGNER) return;
    const request = parseCertificateRequest(Buffer.from(csr.spec.request, 'base64').toString('latin1'));
    if (typeof request === 'string') throw new Error(`unable to parse csr ${JSON.stringify(csr.metadata.name)}: ${request}`);
    const usages = csr.spec.usages ?? [];
    const refusal = signerName === KUBE_APISERVER_CLIENT_SIGNER ? clientUsagesError(usages) : kubeletClientError(request, usages);
    const next = structuredClone(csr);
    if (refusal !== undefined) {
      const failed: CertificateSigningRequestCondition = { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: refusal, lastUpdateTime: metaTime() };
      next.status = { ...next.status, conditions: [...(next.status?.conditions ?? []), failed] };
    } else {
      const pem = await this.opts.sign(request, usages, ttlOf(csr.spec.expirationSeconds));
      next.status = { ...next.status, certificate: Buffer.from(pem).toString('base64') };
    }
    try {
      await this.opts.registry.update(this.#type, undefined, csr.metadata.name!, next, { subresource: 'status' });
      this.opts.log.info(refusal === undefined ? 'issued a certificate' : 'refused to sign a certificate signing request', { csr: key, signerName, ...(refusal === undefined ? {} : { reason: refusal }) });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }
}

function hasCondition(csr: CsrObject, type: string): boolean {
  return (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Upstream's IsCertificateRequestApproved: Approved and not Denied. */
function isApproved(csr: CsrObject): boolean {
  return hasCondition(csr, 'Approved') && !hasCondition(csr, 'Denied');
}

function ttlOf(expirationSeconds: number | undefined): number {
  if (expirationSeconds == null) return MAX_TTL_MS;
  return Math.max(MIN_TTL_MS, Math.min(MAX_TTL_MS, expirationSeconds * 1000));
}

/** validAPIServerClientUsages: client auth, and digital signature or key encipherment at most. */
function clientUsagesError(usages: readonly string[]): string | undefined {
  const other = usages.find((u) => u !== 'digital signature' && u !== 'key encipherment' && u !== 'client auth');
  if (other !== undefined) return `invalid usage for client certificate: ${other}`;
  return usages.includes('client auth') ? undefined : 'missing required usage for client certificate: client auth';
}

/** ValidateKubeletClientCSR: system:node:NAME in system:nodes, no alternative names, the usages kubelets ask for. */
function kubeletClientError(request: CertificateRequest, usages: readonly string[]): string | undefined {
  const organizations = requestOrganizations(request);
  if (organizations.length !== 1 || organizations[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  const sans = new Set(requestAltNames(request).map((n) => n.type));
  for (const [type, name] of [['dns', 'DNS'], ['email', 'Email'], ['ip', 'IP'], ['url', 'URI']] as const) {
    if (sans.has(type)) return `${name} subjectAltNames are not allowed`;
  }
  const commonName = request.subjectName.toJSON().flatMap((rdn) => rdn['CN'] ?? [])[0] ?? '';
  if (!commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  const asked = [...new Set(usages)].sort().join(',');
  if (asked !== 'client auth,digital signature,key encipherment' && asked !== 'client auth,digital signature') {
    return 'usages did not match [client auth digital signature key encipherment]';
  }
  return undefined;
}
