// The registry's kind rules with CustomResourceDefinitions and the custom
// resources they define added (with their finalizer warnings): wraps the
// built-in kinds' rules.
import type { Logger } from '../../../common/log.js';
import type { KindRules } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { ApiError } from '../status.js';
import { customResourceRules } from './custom-resource-rules.js';
import { CRD_GROUP, CRD_PLURAL } from './definition.js';
import { definitionRules } from './definition-rules.js';
import { finalizerWarnings } from './finalizer-warnings.js';
import { isCustomResourceType } from './resource-types.js';

export function withCustomResourceRules(builtin: (type: ResourceType) => KindRules, log: Logger): (type: ResourceType) => KindRules {
  return (type) => {
    if (type.group === CRD_GROUP && type.plural === CRD_PLURAL) return { ...definitionRules, tracksGeneration: true };
    if (!isCustomResourceType(type)) return builtin(type);
    return { ...customResourceRules(type, log), ...(type.terminating ? refuseCreate(type) : {}), tracksGeneration: true, warnings: finalizerWarnings };
  };
}

/** As upstream's handler does while a CRD is deleted, so the cleanup of its objects comes to an end. */
function refuseCreate(type: ResourceType): KindRules {
  return {
    defaults(_obj, old) {
      if (old !== undefined) return;
      throw new ApiError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating', {
        group: type.group,
        kind: type.plural,
      });
    },
  };
}
