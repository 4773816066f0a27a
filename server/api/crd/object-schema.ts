// A custom kind's schema as OpenAPI publishes it and field validation reads
// it: the version's openAPIV3Schema with the fields every object has
// (apiVersion, kind, metadata as ObjectMeta) set at the root and in embedded
// resources, as upstream's OpenAPI builder (buildKubeNative) does.
import type { JSONSchemaProps } from 'kubernetes-types/apiextensions/v1.js';
import { refTo, type Schema } from '../openapi/schema.js';
import type { SchemaProps } from './definition.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const METADATA: Schema = {
  description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  allOf: [refTo(`${META}ObjectMeta`)],
};
const TYPE_META: Readonly<Record<'apiVersion' | 'kind', Schema>> = {
  apiVersion: {
    description:
      'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
    type: 'string',
  },
  kind: {
    description:
      'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
    type: 'string',
  },
};
const EMBEDDED_TYPE_META: Readonly<Record<'apiVersion' | 'kind', Schema>> = {
  apiVersion: {
    description: 'apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
    type: 'string',
  },
  kind: {
    description: 'kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
    type: 'string',
  },
};

/** The object schema of one version; a version without one (v1 CRDs always have one) keeps any field. */
export function objectSchema(openAPIV3Schema: JSONSchemaProps | undefined): Schema {
  if (openAPIV3Schema === undefined) return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const root = withEmbeddedMeta(openAPIV3Schema);
  return { ...root, properties: { ...root.properties, ...TYPE_META, metadata: METADATA } };
}

function withEmbeddedMeta(node: SchemaProps): Schema {
  const out: Record<string, unknown> = { ...node };
  if (node.properties !== undefined) {
    out['properties'] = Object.fromEntries(Object.entries(node.properties).map(([name, child]) => [name, withEmbeddedMeta(child)]));
  }
  if (node.items !== undefined && !Array.isArray(node.items)) out['items'] = withEmbeddedMeta(node.items);
  if (typeof node.additionalProperties === 'object') out['additionalProperties'] = withEmbeddedMeta(node.additionalProperties);
  if (node['x-kubernetes-embedded-resource'] === true) {
    out['properties'] = { ...(out['properties'] as Record<string, Schema> | undefined), ...EMBEDDED_TYPE_META, metadata: METADATA };
    out['required'] = [...new Set([...(node.required ?? []), 'kind', 'apiVersion'])];
  }
  // The stored schema is the user's JSON; the shared Schema type describes the subset Kubernetes uses.
  return out as Schema;
}
