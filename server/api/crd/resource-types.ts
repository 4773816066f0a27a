// What a CRD serves: one resource type per served version, under the names
// it was accepted for, carrying what tables, OpenAPI and field validation
// need to know of the kind.
import type { CustomResourceColumnDefinition, CustomResourceDefinitionNames } from 'kubernetes-types/apiextensions/v1.js';
import type { GroupVersionKind } from '../objects.js';
import type { Schema } from '../openapi/schema.js';
import type { ResourceType, Subresource, Verb } from '../resources.js';
import type { Definition, SchemaProps } from './definition.js';
import { hasDefaults } from './schema-defaults.js';
import { objectSchema } from './object-schema.js';
import { hasValidationRules } from './validation-rules.js';
import { DEFAULT_COLUMNS } from './printer-columns.js';

export interface CustomResourceType extends ResourceType {
  /** The object schema as OpenAPI publishes it. */
  readonly schema: Schema;
  /** The version's openAPIV3Schema as the CRD has it: what validation, pruning and defaulting read. */
  readonly openAPIV3Schema: SchemaProps | undefined;
  /** Some node of it has a default: reads fill them in, so they cannot send the stored bytes as they are. */
  readonly hasDefaults: boolean;
  /** Some node of it has x-kubernetes-validations: written objects are checked against them. */
  readonly hasValidationRules: boolean;
  /** The version's additionalPrinterColumns, or upstream's default Age column. */
  readonly printerColumns: readonly CustomResourceColumnDefinition[];
  /** The CRD is being deleted: its objects can still be read and deleted, but no new ones created. */
  readonly terminating: boolean;
}

export function isCustomResourceType(r: ResourceType): r is CustomResourceType {
  return 'printerColumns' in r;
}

const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const SUBRESOURCE_VERBS: readonly string[] = ['get', 'patch', 'update'];
const SCALE: GroupVersionKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

/** The types of the served versions of `crd`, named by its accepted `names`. */
export function resourceTypesOf(crd: Definition, names: CustomResourceDefinitionNames): CustomResourceType[] {
  const { group } = crd.spec;
  return crd.spec.versions
    .filter((v) => v.served)
    .map((v) => {
      const subresources: Subresource[] = [];
      // `status: {}` declares it; YAML's bare `status:` (null) does not, as upstream reads it.
      if (v.subresources?.status != null) subresources.push({ name: 'status', kind: { group, version: v.name, kind: names.kind }, verbs: SUBRESOURCE_VERBS });
      if (v.subresources?.scale != null) subresources.push({ name: 'scale', kind: SCALE, verbs: SUBRESOURCE_VERBS });
      return {
        group,
        version: v.name,
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        namespaced: crd.spec.scope === 'Namespaced',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        verbs: ALL_VERBS,
        subresources,
        schema: objectSchema(v.schema?.openAPIV3Schema),
        openAPIV3Schema: v.schema?.openAPIV3Schema,
        hasDefaults: hasDefaults(v.schema?.openAPIV3Schema),
        hasValidationRules: hasValidationRules(v.schema?.openAPIV3Schema),
        printerColumns: v.additionalPrinterColumns?.length ? v.additionalPrinterColumns : DEFAULT_COLUMNS,
        terminating: crd.metadata.deletionTimestamp !== undefined,
      };
    });
}
