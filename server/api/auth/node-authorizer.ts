// What a node agent (user system:node:NAME in group system:nodes) may do: what
// upstream's Node authorizer, system:node role and NodeRestriction admission
// together allow a kubelet and kube-proxy, and no more. Its own Node and
// Lease, the pods bound to it, events, the services it proxies, and only
// those Secrets, ConfigMaps and claims that its pods use. Anything else gets
// no opinion, so a later RBAC authorizer can still grant it.
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { Catalogue } from '../catalogue.js';
import type { Registry } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { ApiError } from '../status.js';
import { ALLOW, type Attributes, type Authorizer, type Decision, NO_OPINION, noOpinion, type ResourceAttributes } from './authorizer.js';
import { podReferences, type PodReferences } from './pod-references.js';
import { nodeNameOf, type UserInfo } from './user.js';

const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const READ: readonly string[] = ['get', 'list', 'watch'];
const WRITE: readonly string[] = ['update', 'patch'];
const LEASE_VERBS: readonly string[] = ['get', 'create', 'update', 'patch'];

export class NodeAuthorizer implements Authorizer {
  private readonly pods: ResourceType;

  constructor(
    private readonly registry: Registry,
    catalogue: Catalogue,
  ) {
    const pods = catalogue.get('', 'v1', 'pods');
    if (pods === undefined) throw new Error('the catalogue has no pods');
    this.pods = pods;
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
        return attrs.subresource === undefined && READ.includes(attrs.verb) ? ALLOW : NO_OPINION;
      case '/secrets':
      case '/configmaps':
      case '/persistentvolumeclaims':
        return this.podDependency(node, attrs, attrs.resource as keyof PodReferences);
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
    const pods = await this.registry.list(this.pods, namespace, {});
    const used = pods.items.some((pod) => {
      const spec = pod['spec'] as PodSpec | undefined;
      return spec?.nodeName === node && podReferences(spec)[resource].has(name);
    });
    return used ? ALLOW : noOpinion(`no relationship found between node '${node}' and this object`);
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

function ownNode(node: string, name: string | undefined): Decision {
  return name === node ? ALLOW : noOpinion(`node "${node}" is not allowed to modify node "${name ?? ''}"`);
}
