// The CertificateSigningRequest printer, as upstream's
// printCertificateSigningRequest: signer, requester, the duration asked for
// and the condition (Denied over Approved over Pending, then Failed and
// Issued). Upstream describes the columns with the v1beta1 field docs, so
// REQUESTOR's is that of spec.request.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { age, humanDuration } from './duration.js';
import type { Printer } from './table.js';

const SIGNER_NAME_DOC =
  'Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`. If empty, it will be defaulted:\n 1. If it\'s a kubelet client certificate, it is assigned\n    "kubernetes.io/kube-apiserver-client-kubelet".\n 2. If it\'s a kubelet serving certificate, it is assigned\n    "kubernetes.io/kubelet-serving".\n 3. Otherwise, it is assigned "kubernetes.io/legacy-unknown".\nDistribution of trust for signers happens out of band. You can select on this field using `spec.signerName`.';
const EXPIRATION_SECONDS_DOC =
  'expirationSeconds is the requested duration of validity of the issued certificate. The certificate signer may issue a certificate with a different validity duration so a client must check the delta between the notBefore and and notAfter fields in the issued certificate to determine the actual duration.\n\nThe v1.22+ in-tree implementations of the well-known Kubernetes signers will honor this field as long as the requested duration is not greater than the maximum duration they will honor per the --cluster-signing-duration CLI flag to the Kubernetes controller manager.\n\nCertificate signers may not honor this field for various reasons:\n\n  1. Old signer that is unaware of the field (such as the in-tree\n     implementations prior to v1.22)\n  2. Signer whose configured maximum is shorter than the requested duration\n  3. Signer whose configured minimum is longer than the requested duration\n\nThe minimum valid value for expirationSeconds is 600, i.e. 10 minutes.';

export const certificateSigningRequestPrinter: Printer = {
  columns: [
    nameColumn,
    ageColumn,
    column('SignerName', 'string', SIGNER_NAME_DOC),
    column('Requestor', 'string', 'Base64-encoded PKCS#10 CSR data'),
    column('RequestedDuration', 'string', EXPIRATION_SECONDS_DOC),
    column('Condition', 'string', 'Conditions applied to the request, such as approval or denial.'),
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as CertificateSigningRequest;
    const seconds = spec?.expirationSeconds;
    return [
      object.metadata.name ?? '',
      age(object, now),
      spec?.signerName || '<none>',
      spec?.username ?? '',
      seconds == null ? '<none>' : humanDuration(seconds * 1000),
      condition(status),
    ];
  },
};

function condition(status: CertificateSigningRequest['status']): string {
  const types = new Set((status?.conditions ?? []).map((c) => c.type));
  let text = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) text += ',Failed';
  if (status?.certificate) text += ',Issued';
  return text;
}
