// What the registry does to a custom resource, as upstream's
// apiextensions-apiserver does: a body is pruned to the fields its schema
// declares and given its defaults; the object is validated against the
// schema (types, required fields, enums, bounds, formats …), its embedded
// resources and list types checked; a status write checks the status
// against the status's schema, and a create's status is dropped when the
// status has its own subresource. Reads fill in defaults too, but only for
// schemas that have some: others are sent as stored, unparsed.
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import { checkEmbeddedResources } from './embedded-resources.js';
import { checkListTypes } from './list-types.js';
import { prune } from './pruning.js';
import type { CustomResourceType } from './resource-types.js';
import { applyDefaults } from './schema-defaults.js';
import { propertiesOf } from './schema-nodes.js';
import { checkAgainstSchema } from './schema-validation.js';

export function customResourceRules(type: CustomResourceType): KindRules {
  // With the status subresource, a create cannot set the status (upstream's PrepareForCreate).
  const statusless: KindRules = !type.subresources.some((s) => s.name === 'status')
    ? {}
    : {
        defaults(obj, old) {
          if (old === undefined) delete obj['status'];
        },
      };
  const schema = type.openAPIV3Schema;
  if (schema === undefined) return statusless;
  const decode = (obj: KubeObject) => {
    prune(obj, schema);
    applyDefaults(obj, schema);
  };
  return {
    ...statusless,
    decodeInput: decode,
    ...(type.hasDefaults ? { present: decode } : {}),
    validate: (obj, old) => [
      ...checkAgainstSchema(obj, schema, old === undefined ? {} : { old }),
      ...checkEmbeddedResources(obj, schema),
      // Ratcheting: lists already repeating items in the stored object are not held to it.
      ...(old === undefined || checkListTypes(old, schema).length === 0 ? checkListTypes(obj, schema) : []),
    ],
    validateStatus: (obj, old) => {
      const statusSchema = propertiesOf(schema)?.['status'];
      if (statusSchema === undefined || !Object.hasOwn(obj, 'status')) return [];
      return checkAgainstSchema(obj['status'], statusSchema, { fieldPrefix: 'status', ...(Object.hasOwn(old, 'status') ? { old: old['status'] } : {}) });
    },
  };
}
