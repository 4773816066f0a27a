// Kind-specific rules (defaults, validation) by resource type; types without
// rules get the registry's generic object semantics only.
import type { KindRules } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { namespaceRules } from './namespaces.js';

const RULES = new Map<string, KindRules>([['/namespaces', namespaceRules]]);
const NONE: KindRules = {};

export function rulesFor(type: ResourceType): KindRules {
  return RULES.get(`${type.group}/${type.plural}`) ?? NONE;
}
