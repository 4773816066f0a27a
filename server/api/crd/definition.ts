// The CustomResourceDefinition object (apiextensions.k8s.io/v1) as the
// registry stores it, and the facts about it that several parts read:
// its name's parts, its storage version, its status conditions.
import type {
  CustomResourceDefinitionCondition,
  CustomResourceDefinitionSpec,
  CustomResourceDefinitionStatus,
  JSONSchemaProps,
} from 'kubernetes-types/apiextensions/v1.js';
import type { KubeObject } from '../objects.js';

export const CRD_GROUP = 'apiextensions.k8s.io';
export const CRD_PLURAL = 'customresourcedefinitions';
/** Holds a CRD being deleted until its custom resources are gone (upstream's name for it). */
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export type Condition = CustomResourceDefinitionCondition;
export type ConditionType = 'NamesAccepted' | 'Established' | 'Terminating';

export interface Definition extends KubeObject {
  spec: CustomResourceDefinitionSpec;
  status?: CustomResourceDefinitionStatus;
}

/** A node of an openAPIV3Schema, with the Kubernetes extensions kubernetes-types leaves out. */
export type SchemaProps = JSONSchemaProps & {
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
};

/** A CRD's name is `<plural>.<group>` (validation holds it to that), so even a deleted one tells what it served. */
export function pluralAndGroupOf(name: string): { readonly plural: string; readonly group: string } {
  const dot = name.indexOf('.');
  return { plural: name.slice(0, dot), group: name.slice(dot + 1) };
}

export function storageVersionOf(crd: Definition): string | undefined {
  // `?.`: defaults run before validation has looked at what the user sent.
  return crd.spec.versions.find((v) => v?.storage)?.name;
}

export function conditionOf(crd: Definition, type: ConditionType): Condition | undefined {
  return crd.status?.conditions?.find((c) => c.type === type);
}

export function isConditionTrue(crd: Definition, type: ConditionType): boolean {
  return conditionOf(crd, type)?.status === 'True';
}

/** The conditions with `next` set in place (upstream's SetCRDCondition): the transition time moves only when the status does. */
export function withCondition(conditions: readonly Condition[], next: Condition & { type: ConditionType }, time: string): Condition[] {
  const current = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = current !== undefined && current.status === next.status ? current.lastTransitionTime : time;
  // Upstream's field order, so `kubectl get -o yaml` reads the same.
  const updated: Condition = { type: next.type, status: next.status, lastTransitionTime, reason: next.reason, message: next.message };
  return current === undefined ? [...conditions, updated] : conditions.map((c) => (c === current ? updated : c));
}

