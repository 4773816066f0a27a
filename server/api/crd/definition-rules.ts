// What the registry does to a CustomResourceDefinition on write, as
// upstream's v1 defaulting and CRD strategy do: default the names and the
// conversion, start the status afresh on create, record every storage
// version in status.storedVersions, keep the cleanup finalizer, validate.
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import { CLEANUP_FINALIZER, type Definition, storageVersionOf } from './definition.js';
import { validateDefinition } from './validation.js';

export const definitionRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined) {
    const crd = obj as Definition;
    const spec = crd.spec;
    // Validation reports a missing spec; nothing to default without one.
    if (typeof spec !== 'object' || spec === null || typeof spec.names !== 'object' || spec.names === null) return;
    const { names } = spec;
    if (typeof names.kind === 'string' && names.kind !== '') {
      names.singular ||= names.kind.toLowerCase();
      names.listKind ||= `${names.kind}List`;
    }
    spec.conversion ??= { strategy: 'None' };

    const stored = old === undefined ? [] : (crd.status?.storedVersions ?? []);
    const storage = Array.isArray(spec.versions) ? storageVersionOf(crd) : undefined;
    const storedVersions = storage === undefined || stored.includes(storage) ? stored : [...stored, storage];
    // On create the status is the server's to fill in; on update the registry has kept the stored one.
    crd.status = old === undefined ? { acceptedNames: { plural: '', kind: '' }, storedVersions } : { ...crd.status, storedVersions };

    // Upstream adds the finalizer when deletion starts; here it is there from the start, so a
    // deletion always passes through the cleanup. Once deleting, removing it lets the CRD go.
    const finalizers = crd.metadata.finalizers ?? [];
    if (crd.metadata.deletionTimestamp === undefined && !finalizers.includes(CLEANUP_FINALIZER)) crd.metadata.finalizers = [...finalizers, CLEANUP_FINALIZER];
  },
  validate: (obj: KubeObject, old: KubeObject | undefined) => validateDefinition(obj as Definition, old as Definition | undefined),
};
