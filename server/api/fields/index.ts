export { applyConfig } from './apply.js';
export { type FieldSet } from './field-set.js';
export { fieldTypeOf, type FieldType } from './field-types.js';
export { type FieldManager, type ManagedFieldsEntry } from './managed-fields.js';
export { recordUpdate, type OwnershipContext } from './update.js';
export { zeroObject } from './zero-object.js';
