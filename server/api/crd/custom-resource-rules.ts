// What the registry does to a custom resource, as upstream's
// apiextensions-apiserver does: a body is pruned to the fields its schema
// declares and given its defaults; the object is validated against the
// schema (types, required fields, enums, bounds, formats …), its embedded
// resources and list types checked; a status write checks the status
// against the status's schema, and a create's status is dropped when the
// status has its own subresource. The schema's CEL rules are evaluated on
// every write (validation-rules.ts). Reads fill in defaults too, but only for
// schemas that have some: others are sent as stored, unparsed.
import type { Logger } from '../../../common/log.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import { checkEmbeddedResources } from './embedded-resources.js';
import { checkListTypes } from './list-types.js';
import { prune } from './pruning.js';
import type { CustomResourceType } from './resource-types.js';
import { applyDefaults } from './schema-defaults.js';
import { propertiesOf } from './schema-nodes.js';
import { checkAgainstSchema } from './schema-validation.js';
import { checkValidationRules } from './validation-rules.js';

export function customResourceRules(type: CustomResourceType, log: Logger): KindRules {
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
    validate: (obj, old) => {
      const causes = [
        ...checkAgainstSchema(obj, schema, old === undefined ? {} : { old }),
        ...checkEmbeddedResources(obj, schema),
        // Ratcheting: lists already repeating items in the stored object are not held to it.
        ...(old === undefined || checkListTypes(old, schema).length === 0 ? checkListTypes(obj, schema) : []),
      ];
      if (!type.hasValidationRules) return causes;
      return [...causes, ...checkValidationRules(obj, schema, old === undefined ? undefined : { value: old }, causes, log)];
    },
    validateStatus: (obj, old) => {
      const statusSchema = propertiesOf(schema)?.['status'];
      const causes =
        statusSchema === undefined || !Object.hasOwn(obj, 'status')
          ? []
          : checkAgainstSchema(obj['status'], statusSchema, { fieldPrefix: 'status', ...(Object.hasOwn(old, 'status') ? { old: old['status'] } : {}) });
      // The rules are the whole object's: what the status write left unchanged is ratcheted.
      return type.hasValidationRules ? [...causes, ...checkValidationRules(obj, schema, { value: old }, causes, log)] : causes;
    },
  };
}
