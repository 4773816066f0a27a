// certificates.k8s.io/v1 CertificateSigningRequests, as upstream 1.31's
// strategies and pkg/apis/certificates/validation treat them: the spec is
// fixed at creation (the requester is the request's user, filled in by
// ../auth/certificate-admission.ts), the main resource changes metadata
// only, the approval subresource only the conditions and the status
// subresource only the certificate and the conditions other than Approved
// and Denied. The CertificateSubjectRestriction admission plugin refuses
// kube-apiserver-client requests for group system:masters.
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from 'kubernetes-types/certificates/v1.js';
import { certificatePemError, parseCertificateRequest, requestOrganizations, signatureError } from '../../pki/certificate-requests.js';
import { metaTime, type KubeObject } from '../objects.js';
import { nameErrors } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import { errors, type StatusCause } from '../status.js';
import { decodeBase64 } from './config.js';
import { semanticEqual } from './equality.js';
import { decodeError, duplicate, forbidden, invalid, notSupported, quote, required, tooLong } from './field-errors.js';

export type CsrObject = KubeObject & CertificateSigningRequest;

export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';
export const CSR_RESOURCE = { group: 'certificates.k8s.io', plural: 'certificatesigningrequests', kind: 'CertificateSigningRequest' } as const;

/** Upstream's allValidUsages, sorted as its NotSupported lists them. */
const VALID_USAGES = [
  'any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only', 'digital signature',
  'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement', 'key encipherment', 'microsoft sgc',
  'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping',
];
/** Condition types that may only be True. */
const TRUE_ONLY_TYPES = ['Approved', 'Denied', 'Failed'];

/** What an update path may change, and what old data it tolerates (upstream's certificateValidationOptions). */
interface Options {
  settingApproval: boolean;
  settingCertificate: boolean;
  bothApprovedAndDenied: boolean;
  legacySigner: boolean;
  duplicateConditionTypes: boolean;
  emptyConditionType: boolean;
  arbitraryCertificate: boolean;
  unknownUsages: boolean;
  duplicateUsages: boolean;
}

export const certificateSigningRequestRules: KindRules = {
  decodeInput(obj) {
    const csr = obj as CsrObject;
    if (csr.spec?.request != null) csr.spec.request = canonicalBytes(csr.spec.request, obj);
    if (csr.status?.certificate != null) csr.status.certificate = canonicalBytes(csr.status.certificate, obj);
  },
  defaults(obj, old) {
    const csr = obj as CsrObject;
    if (old !== undefined) {
      // Immutable but through subresources; the registry keeps the status.
      csr.spec = (old as CsrObject).spec;
      return;
    }
    csr.spec ??= {} as CsrObject['spec'];
    delete csr.spec.username;
    delete csr.spec.uid;
    delete csr.spec.groups;
    delete csr.spec.extra;
    // Nobody creates a request approved.
    csr.status = {};
  },
  validate: (obj, old) => (old === undefined ? validateCsr(obj as CsrObject, options(obj as CsrObject, undefined)) : validateUpdate(obj as CsrObject, old as CsrObject, {})),
  prepareStatus(obj, old) {
    const csr = obj as CsrObject;
    for (const type of ['Approved', 'Denied']) preserveConditions(csr, old as CsrObject, type);
    stampConditions(csr, old as CsrObject);
  },
  validateStatus: (obj, old) => validateUpdate(obj as CsrObject, old as CsrObject, { settingCertificate: true }),
  prepareApproval: (obj, old) => stampConditions(obj as CsrObject, old as CsrObject),
  validateApproval: (obj, old) => validateUpdate(obj as CsrObject, old as CsrObject, { settingApproval: true }),
  async validateAdmission(obj, old) {
    if (old !== undefined) return;
    const csr = obj as CsrObject;
    // CertificateSubjectRestriction.
    if (csr.spec.signerName !== KUBE_APISERVER_CLIENT_SIGNER) return;
    const request = parseCertificateRequest(Buffer.from(csr.spec.request ?? '', 'base64').toString('latin1'));
    if (typeof request === 'string') throw errors.forbidden(CSR_RESOURCE, obj.metadata.name!, `failed to parse CSR: ${request}`);
    if (requestOrganizations(request).includes('system:masters')) {
      throw errors.forbidden(CSR_RESOURCE, obj.metadata.name!, `use of ${KUBE_APISERVER_CLIENT_SIGNER} signer with system:masters group is not allowed`);
    }
  },
};

/** A []byte field as Go decodes it (a bad one is a 400) and encodes it again. */
function canonicalBytes(value: unknown, obj: KubeObject): string {
  if (typeof value !== 'string') throw decodeError(obj, `json: cannot unmarshal ${typeof value} into Go value of type []uint8`);
  const bytes = decodeBase64(value);
  if (typeof bytes === 'string') throw decodeError(obj, bytes);
  return bytes.toString('base64');
}

function bytesOf(b64: string | undefined): Buffer {
  return Buffer.from(b64 ?? '', 'base64');
}

/** %#v of a []byte: how field.Invalid shows spec.request. */
function goBytes(b64: string | undefined): string {
  if (b64 === undefined) return '[]byte(nil)';
  return `[]byte{${[...bytesOf(b64)].map((b) => `0x${b.toString(16)}`).join(', ')}}`;
}

function conditionsOf(csr: CsrObject, type?: string): CertificateSigningRequestCondition[] {
  const all = csr.status?.conditions ?? [];
  return type === undefined ? all : all.filter((c) => c.type === type);
}

function options(csr: CsrObject, old: CsrObject | undefined): Options {
  const types = old === undefined ? [] : conditionsOf(old).map((c) => c.type);
  const sameCertificate = old !== undefined && (csr.status?.certificate ?? '') === (old.status?.certificate ?? '');
  const oldUsages = old?.spec.usages ?? [];
  return {
    settingApproval: false,
    settingCertificate: false,
    bothApprovedAndDenied: types.includes('Approved') && types.includes('Denied'),
    legacySigner: old?.spec.signerName === LEGACY_UNKNOWN_SIGNER,
    duplicateConditionTypes: new Set(types).size !== types.length,
    emptyConditionType: types.includes(''),
    arbitraryCertificate: sameCertificate || (old !== undefined && bytesOf(old.status?.certificate).length > 0 && certificatePemError(bytesOf(old.status?.certificate).toString('latin1')) !== undefined),
    unknownUsages: oldUsages.some((u) => !VALID_USAGES.includes(u)),
    duplicateUsages: new Set(oldUsages).size !== oldUsages.length,
  };
}

function validateCsr(csr: CsrObject, opts: Options): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = csr.spec ?? {};
  const request = parseCertificateRequest(bytesOf(spec.request).toString('latin1'));
  const problem = typeof request === 'string' ? request : signatureError(request);
  if (problem !== undefined) causes.push(invalid('spec.request', goBytes(spec.request), problem));
  const usages = spec.usages ?? [];
  if (usages.length === 0) causes.push(required('spec.usages'));
  if (!opts.unknownUsages) {
    usages.forEach((u, i) => {
      if (!VALID_USAGES.includes(u)) causes.push(notSupported(`spec.usages[${i}]`, quote(u), VALID_USAGES));
    });
  }
  if (!opts.duplicateUsages) {
    usages.forEach((u, i) => {
      if (usages.indexOf(u) !== i) causes.push(duplicate(`spec.usages[${i}]`, quote(u)));
    });
  }
  const signerName = spec.signerName ?? '';
  if (!opts.legacySigner && signerName === LEGACY_UNKNOWN_SIGNER) {
    causes.push(invalid('spec.signerName', quote(signerName), 'the legacy signerName is not allowed via this API version'));
  } else causes.push(...validateSignerName(signerName, 'spec.signerName'));
  if (spec.expirationSeconds != null && spec.expirationSeconds < 600) {
    causes.push(invalid('spec.expirationSeconds', String(spec.expirationSeconds), 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  causes.push(...validateConditions(csr, opts));
  if (!opts.arbitraryCertificate && csr.status?.certificate) {
    const error = certificatePemError(bytesOf(csr.status.certificate).toString('latin1'));
    if (error !== undefined) causes.push(invalid('status.certificate', quote('<certificate data>'), error));
  }
  return causes;
}

/** ValidateSignerName: "example.com/signer-name", a domain of DNS labels and a path of DNS subdomains. */
function validateSignerName(signerName: string, field: string): StatusCause[] {
  if (signerName === '') return [required(field)];
  const segments = signerName.split('/');
  if (segments.length !== 2) return [invalid(field, quote(signerName), "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, path] = segments as [string, string];
  const causes: StatusCause[] = [];
  if (domain.length > 253) causes.push(tooLong(field, 253));
  const domainLabels = domain.split('.');
  for (const label of domainLabels) {
    const errs = nameErrors(label, 'label');
    if (errs.length === 0) continue;
    causes.push(...errs.map((e) => invalid(field, quote(domain), `validating label ${quote(label)}: ${e}`)));
    break;
  }
  if (domainLabels.length < 2) causes.push(invalid(field, quote(domain), 'should be a domain with at least two segments separated by dots'));
  for (const label of path.split('.')) {
    const errs = nameErrors(label, 'subdomain');
    if (errs.length === 0) continue;
    causes.push(...errs.map((e) => invalid(field, quote(path), `validating label ${quote(label)}: ${e}`)));
    break;
  }
  const max = 253 + (253 + 63 + 1) + 1;
  if (signerName.length > max) causes.push(tooLong(field, max));
  return causes;
}

function validateConditions(csr: CsrObject, opts: Options): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditionsOf(csr).forEach((c, i) => {
    const path = `status.conditions[${i}]`;
    const type = c.type ?? '';
    if (!opts.emptyConditionType && type === '') causes.push(required(`${path}.type`));
    const allowed = TRUE_ONLY_TYPES.includes(type) ? ['True'] : ['False', 'True', 'Unknown'];
    if (!c.status) causes.push(required(`${path}.status`));
    else if (!allowed.includes(c.status)) causes.push(notSupported(`${path}.status`, quote(c.status), allowed));
    if (!opts.bothApprovedAndDenied) {
      if (type === 'Approved') {
        approved = true;
        if (denied) causes.push(invalid(`${path}.type`, quote(type), 'Approved and Denied conditions are mutually exclusive'));
      } else if (type === 'Denied') {
        denied = true;
        if (approved) causes.push(invalid(`${path}.type`, quote(type), 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!opts.duplicateConditionTypes) {
      if (seen.has(type)) causes.push(duplicate(`${path}.type`, quote(type)));
      seen.add(type);
    }
  });
  return causes;
}

function validateUpdate(csr: CsrObject, old: CsrObject, allowed: Partial<Pick<Options, 'settingApproval' | 'settingCertificate'>>): StatusCause[] {
  const opts = { ...options(csr, old), ...allowed };
  const causes = validateCsr(csr, opts);
  for (const type of ['Approved', 'Denied', 'Failed']) {
    if (conditionsOf(csr, type).length < conditionsOf(old, type).length) causes.push(forbidden('status.conditions', `updates may not remove a condition of type ${quote(type)}`));
  }
  if (!opts.settingApproval) {
    for (const type of ['Approved', 'Denied']) {
      const before = conditionsOf(old, type);
      const after = conditionsOf(csr, type);
      if (after.length > before.length) causes.push(forbidden('status.conditions', `updates may not add a condition of type ${quote(type)}`));
      else if (after.length === before.length && !semanticEqual(before, after)) {
        // Upstream appends a go-cmp diff of the two, whose format go-cmp keeps deliberately unstable.
        causes.push(forbidden('status.conditions', `updates may not modify a condition of type ${quote(type)}`));
      }
    }
  }
  if ((csr.status?.certificate ?? '') !== (old.status?.certificate ?? '')) {
    if (!opts.settingCertificate) causes.push(forbidden('status.certificate', 'updates may not set certificate content'));
    else if (bytesOf(old.status?.certificate).length > 0) causes.push(forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return causes;
}

/** The status subresource keeps the Approved and Denied conditions as they were, unless it adds or removes some (then validation refuses it). */
function preserveConditions(csr: CsrObject, old: CsrObject, type: string): void {
  const conditions = csr.status?.conditions;
  if (conditions === undefined) return;
  const before = conditionsOf(old, type);
  const at = conditions.flatMap((c, i) => (c.type === type ? [i] : []));
  if (at.length !== before.length) return;
  at.forEach((index, i) => {
    conditions[index] = before[i]!;
  });
}

/** populateConditionTimestamps: lastUpdateTime now when missing; lastTransitionTime kept from an old condition of the same type and status, else now. */
function stampConditions(csr: CsrObject, old: CsrObject): void {
  const now = metaTime();
  for (const c of csr.status?.conditions ?? []) {
    c.lastUpdateTime ||= now;
    if (!c.lastTransitionTime) {
      c.lastTransitionTime = conditionsOf(old).find((o) => o.type === c.type && o.status === c.status && o.lastTransitionTime)?.lastTransitionTime ?? now;
    }
  }
}
