// The catalogue of the API's resource types: what discovery advertises, what
// OpenAPI describes, and how the registry stores and serves each type.
import type { GroupVersionKind } from './objects.js';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface Subresource {
  /** "status", "scale", "log", "exec", "binding", "eviction", "token", … */
  readonly name: string;
  /** What a request to the subresource returns (e.g. autoscaling/v1 Scale for scale). */
  readonly kind: GroupVersionKind;
  readonly verbs: readonly string[];
}

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** "DeploymentList" */
  readonly listKind: string;
  /** "deployments": the URL path segment */
  readonly plural: string;
  /** "deployment" */
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly Verb[];
  readonly subresources: readonly Subresource[];
  /**
   * The group whose place in the store holds these objects, when it is not
   * the type's own: events.k8s.io Events are core Events, one object served
   * by both groups (upstream stores both at /registry/events).
   */
  readonly storageGroup?: string;
}
