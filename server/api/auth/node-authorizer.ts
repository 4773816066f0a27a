// What a node agent (user system:node:NAME in group system:nodes) may do: what
// upstream's Node authorizer, system:node role and NodeRestriction admission
// together allow a kubelet and kube-proxy, and no more. Its own Node and
// Lease, the pods bound to it, events, the services it proxies, every
// RuntimeClass (read only: its pods' handlers), only those
// Secrets, ConfigMaps and claims that its pods use and the volumes bound to
// those claims, and tokens for its pods' service accounts bound to those
// pods. Anything else gets no opinion, so a later RBAC authorizer can still
// grant it.
import type { PersistentVolume, PersistentVolumeClaim, PodSpec } from 'kubernetes-types/core/v1.js';
import type { Catalogue } from '../catalogue.js';
import type { Registry } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { ApiError } from '../status.js';
import { ALLOW, type Attributes, type Authorizer, type Decision, NO_OPINION, NO_RULES, noOpinion, type ResourceAttributes, type UserRules } from './authorizer.js';
import { podReferences, type PodReferences } from '../../../common/pod-references.js';
import { nodeNameOf, type UserInfo } from './user.js';

const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const READ: readonly string[] = ['get', 'list', 'watch'];
const WRITE: readonly string[] = ['update', 'patch'];
const LEASE_VERBS: readonly string[] = ['get', 'create', 'update', 'patch'];

export class NodeAuthorizer implements Authorizer {
  private readonly pods: ResourceType;
  private readonly claims: ResourceType;
  private readonly volumes: ResourceType;

  constructor(
    private readonly registry: Registry,
    catalogue: Catalogue,
  ) {
    const type = (plural: string) => {
      const found = catalogue.get('', 'v1', plural);
      if (found === undefined) throw new Error(`the catalogue has no ${plural}`);
      return found;
    };
    this.pods = type('pods');
    this.claims = type('persistentvolumeclaims');
    this.volumes = type('persistentvolumes');
  }

  /** As upstream's: a node's permissions follow its pods, and are not listed. */
  async rulesFor(user: UserInfo): Promise<UserRules> {
    if (nodeNameOf(user) === undefined) return NO_RULES;
    return { ...NO_RULES, incomplete: true, errors: ['node authorizer does not support user rule resolution'] };
  }

  async authorize(user: UserInfo, attrs: Attributes): Promise<Decision> {
    const node = nodeNameOf(user);
    if (node === undefined || attrs.kind !== 'resource') return NO_OPINION;
    switch (`${attrs.group}/${attrs.resource}`) {
      case '/nodes':
        return this.nodeObject(node, attrs);
      case '/pods':
        return this.pod(node, attrs);
      case '/events':
      case 'events.k8s.io/events':
        return attrs.subresource === undefined && ['create', 'update', 'patch'].includes(attrs.verb) ? ALLOW : NO_OPINION;
      case 'coordination.k8s.io/leases':
        return this.lease(node, attrs);
      case '/services':
      case '/endpoints':
      case 'discovery.k8s.io/endpointslices':
      // system:node's RuntimeClass rule: the handler a pod's class names.
      case 'node.k8s.io/runtimeclasses':
        return attrs.subresource === undefined && READ.includes(attrs.verb) ? ALLOW : NO_OPINION;
      case '/secrets':
      case '/configmaps':
      case '/persistentvolumeclaims':
        return this.podDependency(node, attrs, attrs.resource as keyof PodReferences);
      case '/persistentvolumes':
        return this.persistentVolume(node, attrs);
      case '/serviceaccounts':
        return this.serviceAccountToken(node, attrs);
      default:
        return NO_OPINION;
    }
  }

  /** Every Node may be read; only its own created, updated or patched (status included). */
  private async nodeObject(node: string, attrs: ResourceAttributes): Promise<Decision> {
    const { verb, subresource } = attrs;
    if (subresource === undefined && READ.includes(verb)) return ALLOW;
    if (subresource === undefined && verb === 'create') return ownNode(node, await attrs.createdName());
    if ((subresource === undefined || subresource === 'status') && WRITE.includes(verb)) return ownNode(node, attrs.name);
    return NO_OPINION;
  }

  /** Every pod may be read; only those bound to this node deleted or given a status. */
  private async pod(node: string, attrs: ResourceAttributes): Promise<Decision> {
    const { verb, subresource } = attrs;
    if (subresource === undefined && READ.includes(verb)) return ALLOW;
    if (subresource === undefined && verb === 'delete') {
      return (await this.boundOrMissing(node, attrs)) ? ALLOW : noOpinion(`node "${node}" can only delete pods with spec.nodeName set to itself`);
    }
    if (subresource === 'status' && WRITE.includes(verb)) {
      return (await this.boundOrMissing(node, attrs)) ? ALLOW : noOpinion(`node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
    }
    return NO_OPINION;
  }

  /** The node's heartbeat: kube-node-lease/NAME. */
  private async lease(node: string, attrs: ResourceAttributes): Promise<Decision> {
    if (attrs.subresource !== undefined || !LEASE_VERBS.includes(attrs.verb)) return noOpinion('can only get, create, update or patch a node lease');
    if (attrs.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    const name = attrs.verb === 'create' ? await attrs.createdName() : attrs.name;
    return name === node ? ALLOW : noOpinion('can only access node lease with the same name as the requesting node');
  }

  /** A get of one object that a pod bound to this node uses; never a list, so a node cannot read what it does not run. */
  private async podDependency(node: string, attrs: ResourceAttributes, resource: keyof PodReferences): Promise<Decision> {
    if (attrs.subresource !== undefined) return noOpinion('cannot read subresource');
    if (attrs.verb !== 'get') return noOpinion('can only get individual resources of this type');
    const { namespace, name } = attrs;
    if (namespace === undefined || name === undefined) return noOpinion('No Object name found');
    return (await this.usedByPodOn(node, namespace, resource, name)) ? ALLOW : noOpinion(`no relationship found between node '${node}' and this object`);
  }

  /**
   * A get of one volume bound to a claim its pods use; also one pinned to this node alone (its local
   * volumes) or missing, so an agent can tell that the volume of data it holds was deleted.
   */
  private async persistentVolume(node: string, attrs: ResourceAttributes): Promise<Decision> {
    if (attrs.subresource !== undefined || attrs.verb !== 'get' || attrs.name === undefined) return noOpinion('can only get individual resources of this type');
    let volume: PersistentVolume;
    try {
      volume = (await this.registry.get(this.volumes, undefined, attrs.name)) as PersistentVolume;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return ALLOW;
      throw err;
    }
    if (pinnedTo(volume) === node) return ALLOW;
    const ref = volume.spec?.claimRef;
    if (ref?.namespace && ref.name) {
      const claim = await this.registry.get(this.claims, ref.namespace, ref.name).catch(() => undefined);
      const claimName = (claim as PersistentVolumeClaim | undefined)?.metadata?.name;
      if (claimName !== undefined && (await this.usedByPodOn(node, ref.namespace, 'persistentvolumeclaims', claimName))) return ALLOW;
    }
    return noOpinion(`no relationship found between node '${node}' and this object`);
  }

  /**
   * serviceaccounts/token: a token for the account of a pod bound to this node, bound to that pod (upstream's
   * Node authorizer and NodeRestriction admission together).
   */
  private async serviceAccountToken(node: string, attrs: ResourceAttributes): Promise<Decision> {
    if (attrs.subresource !== 'token' || attrs.verb !== 'create') return NO_OPINION;
    const { namespace, name } = attrs;
    if (namespace === undefined || name === undefined) return noOpinion('No Object name found');
    const body = (await attrs.createdObject?.()) as { spec?: { boundObjectRef?: { kind?: unknown; name?: unknown; uid?: unknown } | null } } | null | undefined;
    const ref = body?.spec?.boundObjectRef;
    if (ref?.kind !== 'Pod' || typeof ref.name !== 'string') return noOpinion(`node requested token not bound to a pod`);
    let pod;
    try {
      pod = await this.registry.get(this.pods, namespace, ref.name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return noOpinion(`node requested token bound to a pod that does not exist`);
      throw err;
    }
    const spec = pod['spec'] as PodSpec | undefined;
    if (spec?.nodeName !== node) return noOpinion('node requested token bound to a pod scheduled on a different node');
    if (ref.uid !== undefined && ref.uid !== pod.metadata.uid) return noOpinion('the UID in the bound object reference does not match the pod');
    if ((spec.serviceAccountName || 'default') !== name) return noOpinion(`no relationship found between node '${node}' and this object`);
    return ALLOW;
  }

  private async usedByPodOn(node: string, namespace: string, resource: keyof PodReferences, name: string): Promise<boolean> {
    const pods = await this.registry.list(this.pods, namespace, {});
    return pods.items.some((pod) => {
      const spec = pod['spec'] as PodSpec | undefined;
      return spec?.nodeName === node && podReferences(spec)[resource].has(name);
    });
  }

  /** A missing pod is no one's (pods are readable anyway): the handler's 404 is the better answer. */
  private async boundOrMissing(node: string, attrs: ResourceAttributes): Promise<boolean> {
    if (attrs.namespace === undefined || attrs.name === undefined) return false;
    try {
      const pod = await this.registry.get(this.pods, attrs.namespace, attrs.name);
      return (pod['spec'] as PodSpec | undefined)?.nodeName === node;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return true;
      throw err;
    }
  }
}

/** The one node a volume's required node affinity names by hostname, if it names exactly one. */
function pinnedTo(volume: PersistentVolume): string | undefined {
  const terms = volume.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length !== 1) return undefined;
  const expressions = terms[0]!.matchExpressions ?? [];
  const hostname = expressions.find((e) => e.key === 'kubernetes.io/hostname' && e.operator === 'In');
  return expressions.length === 1 && hostname?.values?.length === 1 ? hostname.values[0] : undefined;
}

function ownNode(node: string, name: string | undefined): Decision {
  return name === node ? ALLOW : noOpinion(`node "${node}" is not allowed to modify node "${name ?? ''}"`);
}
