export { PatchError } from './errors.js';
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge.js';
export { strategicSchema, supportsStrategicMerge, type PatchMeta, type SchemaNode } from './merge-keys.js';
