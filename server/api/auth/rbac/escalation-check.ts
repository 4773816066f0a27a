// RBAC escalation prevention, as upstream's policybased storage for roles,
// clusterroles, rolebindings and clusterrolebindings: nobody grants a
// permission they do not hold. A Role or ClusterRole is written only by a
// user who holds every permission it grants, or may `escalate` roles there;
// a binding only by a user who may `bind` its role, or holds every permission
// of it. "Holds" is what the server's whole authorizer chain allows the user
// (upstream asks RBAC's own rules; here any authorizer counts). system:masters
// is never checked. The check sees the object as it will be stored: create,
// update, every patch and dry runs alike.
import type { Catalogue } from '../../catalogue.js';
import { semanticEqual } from '../../kinds/equality.js';
import type { KubeObject } from '../../objects.js';
import type { Registry } from '../../registry/registry.js';
import type { ResourceRequest } from '../../request-info.js';
import type { ResourceType } from '../../resources.js';
import { errors } from '../../status.js';
import { askedAttributes, type Attributes, type Authorizer } from '../authorizer.js';
import { MASTERS_GROUP, type UserInfo } from '../user.js';
import { goQuotedList } from '../../kinds/field-errors.js';
import { type AtomicRule, atomicRules, describeMissing, type ParsedPolicyRule, policyRulesOf } from './atomic-rules.js';
import { RBAC_GROUP } from './rbac-authorizer.js';

/** Throws to refuse writing `obj` (over `old`, for an update). */
export type WriteCheck = (obj: KubeObject, old: KubeObject | undefined) => Promise<void>;

export interface EscalationContext {
  readonly authorizer: Authorizer;
  readonly user: UserInfo;
  readonly registry: Registry;
  readonly catalogue: Catalogue;
}

/** Upstream's fullAuthority: what a ClusterRole's aggregationRule needs, since it can gather anything. */
const FULL_AUTHORITY: readonly AtomicRule[] = [
  { kind: 'resource', verb: '*', group: '*', resource: '*' },
  { kind: 'url', verb: '*', url: '*' },
];

/** The check for a write of `request` (of `type`), or undefined when none applies. */
export function escalationCheck(ctx: EscalationContext, type: ResourceType, request: ResourceRequest): WriteCheck | undefined {
  if (type.group !== RBAC_GROUP || request.subresource !== undefined || ctx.user.groups.includes(MASTERS_GROUP)) return undefined;
  switch (type.plural) {
    case 'roles':
    case 'clusterroles':
      return (obj, old) => checkRole(ctx, type, request, obj, old);
    case 'rolebindings':
    case 'clusterrolebindings':
      return (obj, old) => checkBinding(ctx, type, request, obj, old);
    default:
      return undefined;
  }
}

async function checkRole(ctx: EscalationContext, type: ResourceType, request: ResourceRequest, obj: KubeObject, old: KubeObject | undefined): Promise<void> {
  if (await allows(ctx, { kind: 'resource', verb: 'escalate', group: type.group, resource: type.plural }, request.namespace, request.name)) return;
  if (old !== undefined && onlyGarbageCollectorFields(obj, old)) return;
  const name = obj.metadata.name ?? '';
  await requireHeld(ctx, type, name, request.namespace, policyRulesOf(obj['rules']));
  if (hasAggregationRule(obj) || (old !== undefined && hasAggregationRule(old))) {
    if ((await missing(ctx, undefined, FULL_AUTHORITY)).length > 0) throw errors.forbidden(type, name, 'must have cluster-admin privileges to use the aggregationRule');
  }
}

async function checkBinding(ctx: EscalationContext, type: ResourceType, request: ResourceRequest, obj: KubeObject, old: KubeObject | undefined): Promise<void> {
  if (old !== undefined && onlyGarbageCollectorFields(obj, old)) return;
  const namespace = type.namespaced ? request.namespace : undefined;
  const ref = roleRefOf(obj['roleRef']);
  const resource = ref.kind === 'ClusterRole' ? 'clusterroles' : ref.kind === 'Role' ? 'roles' : undefined;
  // Binding one role may be delegated: bind on that role, in the binding's namespace (or cluster-wide).
  if (resource !== undefined && (await allows(ctx, { kind: 'resource', verb: 'bind', group: ref.apiGroup, resource }, namespace, ref.name))) return;
  const rules = await referencedRules(ctx, ref, namespace);
  await requireHeld(ctx, type, obj.metadata.name ?? '', namespace, rules);
}

/** The referenced role's rules; a missing role is its 404, as upstream's GetRoleReferenceRules. */
async function referencedRules(ctx: EscalationContext, ref: RoleRef, namespace: string | undefined): Promise<ParsedPolicyRule[]> {
  if (ref.kind !== 'Role' && ref.kind !== 'ClusterRole') throw errors.internal(`unsupported role reference kind: ${JSON.stringify(ref.kind)}`);
  const roleType = ctx.catalogue.get(RBAC_GROUP, 'v1', ref.kind === 'Role' ? 'roles' : 'clusterroles')!;
  const role = await ctx.registry.get(roleType, ref.kind === 'Role' ? namespace : undefined, ref.name);
  return policyRulesOf(role['rules']);
}

/** Upstream's ConfirmNoEscalation, worded as its 403. */
async function requireHeld(ctx: EscalationContext, type: ResourceType, name: string, namespace: string | undefined, rules: readonly ParsedPolicyRule[]): Promise<void> {
  const notHeld = await missing(ctx, namespace, rules.flatMap(atomicRules));
  if (notHeld.length === 0) return;
  const { user } = ctx;
  throw errors.forbidden(
    type,
    name,
    `user ${JSON.stringify(user.name)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${describeMissing(notHeld).join('\n')}`,
  );
}

/** The rules the user does not hold in `namespace` (cluster-wide when undefined). A "*" is asked as "*", so only a "*" holds it. */
async function missing(ctx: EscalationContext, namespace: string | undefined, atoms: readonly AtomicRule[]): Promise<AtomicRule[]> {
  const notHeld: AtomicRule[] = [];
  for (const atom of atoms) {
    const held = atom.kind === 'url' ? await decide(ctx, { kind: 'path', verb: atom.verb, path: atom.url }) : await allows(ctx, atom, namespace, atom.resourceName);
    if (!held) notHeld.push(atom);
  }
  return notHeld;
}

async function allows(
  ctx: EscalationContext,
  asked: { readonly kind: 'resource'; readonly verb: string; readonly group: string; readonly resource: string },
  namespace: string | undefined,
  name: string | undefined,
): Promise<boolean> {
  // A rule's "pods/status" is resource pods, subresource status, as a request names it.
  const slash = asked.resource.indexOf('/');
  const resource = slash === -1 ? { resource: asked.resource } : { resource: asked.resource.slice(0, slash), subresource: asked.resource.slice(slash + 1) };
  return decide(
    ctx,
    askedAttributes({
      verb: asked.verb,
      group: asked.group,
      version: '*',
      ...resource,
      ...(namespace === undefined ? {} : { namespace }),
      ...(name === undefined || name === '' ? {} : { name }),
    }),
  );
}

async function decide(ctx: EscalationContext, attrs: Attributes): Promise<boolean> {
  return (await ctx.authorizer.authorize(ctx.user, attrs)).decision === 'allow';
}

interface RoleRef {
  readonly apiGroup: string;
  readonly kind: string;
  readonly name: string;
}

function roleRefOf(value: unknown): RoleRef {
  const ref = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return { apiGroup: text(ref['apiGroup']), kind: text(ref['kind']), name: text(ref['name']) };
}

function hasAggregationRule(obj: KubeObject): boolean {
  const selectors = (obj['aggregationRule'] as { clusterRoleSelectors?: unknown } | undefined)?.clusterRoleSelectors;
  return Array.isArray(selectors) && selectors.length > 0;
}

/** Upstream's IsOnlyMutatingGCFields: only owner references and finalizers change, so the garbage collector can finish a deletion. */
function onlyGarbageCollectorFields(obj: KubeObject, old: KubeObject): boolean {
  const ignored = ['ownerReferences', 'finalizers', 'managedFields', 'selfLink', 'resourceVersion'];
  const without = (o: KubeObject) => ({ ...o, metadata: Object.fromEntries(Object.entries(o.metadata).filter(([k]) => !ignored.includes(k))) });
  return semanticEqual(without(obj), without(old));
}
