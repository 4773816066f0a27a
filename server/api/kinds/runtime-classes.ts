// node.k8s.io/v1 RuntimeClasses, as upstream's strategy and
// ValidateRuntimeClass/ValidateRuntimeClassUpdate treat them (Kubernetes
// 1.31): a handler that is a DNS label and never changes, an overhead checked
// as a container's limits, scheduling's nodeSelector as labels and its
// tolerations as a pod's. Upstream gives them no defaults: the overhead's
// quantities are decoded and kept as Go prints them, not rounded.
import type { RuntimeClass } from 'kubernetes-types/node/v1.js';
import { formatQuantity, parseQuantity } from '../../../common/quantity.js';
import type { KubeObject } from '../objects.js';
import { checkName } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import { validateResources } from './containers.js';
import { decodeError, IMMUTABLE, invalid, quote } from './field-errors.js';
import { validateLabels } from './labels.js';
import { validateTolerations } from './pod-tolerations.js';

export type RuntimeClassObject = KubeObject & RuntimeClass;

export const runtimeClassRules: KindRules = {
  decodeInput(obj) {
    const podFixed = (obj as RuntimeClassObject).overhead?.podFixed as Record<string, string | number | null> | undefined | null;
    if (podFixed == null) return;
    for (const name of Object.keys(podFixed)) {
      const text = podFixed[name];
      // A JSON null is Go's zero Quantity.
      if (text == null) {
        podFixed[name] = '0';
        continue;
      }
      const q = parseQuantity(text);
      if (typeof q === 'string') throw decodeError(obj, q);
      podFixed[name] = formatQuantity(q);
    }
  },
  validate(obj, old) {
    const rc = obj as RuntimeClassObject;
    const handler = rc.handler ?? '';
    const causes = checkName(handler, 'label', 'handler');
    if (rc.overhead != null) causes.push(...validateResources({ limits: rc.overhead.podFixed }, 'overhead'));
    if (rc.scheduling != null) {
      causes.push(...validateLabels(rc.scheduling.nodeSelector, 'scheduling.nodeSelector'));
      causes.push(...validateTolerations(rc.scheduling.tolerations ?? [], 'scheduling.tolerations'));
    }
    if (old !== undefined && handler !== ((old as RuntimeClassObject).handler ?? '')) causes.push(invalid('handler', quote(handler), IMMUTABLE));
    return causes;
  },
};
