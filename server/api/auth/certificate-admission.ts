// What a CertificateSigningRequest write needs of its user, as upstream's
// csrStrategy.PrepareForCreate and admission plugins do it: a new request
// names its requester (spec.username, uid, groups, extra: the request's
// user, whatever the client sent); approving or denying through the approval
// subresource needs `approve` on the signer (CertificateApproval), and
// setting status.certificate needs `sign` on it (CertificateSigning), on
// certificates.k8s.io "signers" named for the signerName or its
// "domain/*". Both come on top of the RBAC check on the subresource itself.
import { CSR_RESOURCE, type CsrObject } from '../kinds/certificate-signing-requests.js';
import type { KubeObject } from '../objects.js';
import type { ResourceRequest } from '../request-info.js';
import type { ResourceType } from '../resources.js';
import { errors } from '../status.js';
import { askedAttributes, type Authorizer } from './authorizer.js';
import type { WriteCheck } from './rbac/escalation-check.js';
import type { UserInfo } from './user.js';

interface RequestUser {
  readonly authorizer: Authorizer;
  readonly user: UserInfo;
}

/** The check for a write of `request` (of `type`), or undefined when it is no CertificateSigningRequest write that needs one. */
export function certificateRequestCheck(ctx: RequestUser, type: ResourceType, request: ResourceRequest): WriteCheck | undefined {
  if (type.group !== CSR_RESOURCE.group || type.plural !== CSR_RESOURCE.plural) return undefined;
  switch (request.subresource) {
    case undefined:
      return async (obj, old) => {
        if (old === undefined) setRequester(obj as CsrObject, ctx.user);
      };
    case 'approval':
      return (obj) => requireSignerAccess(ctx, obj, 'approve');
    case 'status':
      return async (obj, old) => {
        if ((obj as CsrObject).status?.certificate !== (old as CsrObject | undefined)?.status?.certificate) await requireSignerAccess(ctx, obj, 'sign');
      };
    default:
      return undefined;
  }
}

function setRequester(csr: CsrObject, user: UserInfo): void {
  csr.spec.username = user.name;
  if (user.uid !== undefined && user.uid !== '') csr.spec.uid = user.uid;
  if (user.groups.length > 0) csr.spec.groups = [...user.groups];
  if (user.extra !== undefined && Object.keys(user.extra).length > 0) {
    csr.spec.extra = Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]]));
  }
}

async function requireSignerAccess(ctx: RequestUser, obj: KubeObject, verb: 'approve' | 'sign'): Promise<void> {
  const signerName = (obj as CsrObject).spec.signerName ?? '';
  const domain = signerName.split('/')[0]!;
  for (const name of [signerName, `${domain}/*`]) {
    const attrs = askedAttributes({ verb, group: CSR_RESOURCE.group, version: '*', resource: 'signers', name });
    if ((await ctx.authorizer.authorize(ctx.user, attrs)).decision === 'allow') return;
  }
  throw errors.forbidden(CSR_RESOURCE, obj.metadata.name ?? '', `user not permitted to ${verb} requests with signerName ${JSON.stringify(signerName)}`);
}
