// The Widget CustomResourceDefinition (example.com/v1, namespaced) that tests
// of custom resources define: one served and stored version, its schema an
// object unless given, with whatever else the version needs.
import type { CustomResourceDefinitionVersion } from 'kubernetes-types/apiextensions/v1.js';
import type { Definition, SchemaProps } from '../../server/api/crd/definition.js';

/** A version's fields, its schema with the Kubernetes extensions. */
type VersionFields = Partial<Omit<CustomResourceDefinitionVersion, 'schema'>> & { readonly schema?: { readonly openAPIV3Schema: SchemaProps } };

export function widgetsDefinition(version: VersionFields = {}): Definition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } }, ...version } as CustomResourceDefinitionVersion],
    },
  };
}
