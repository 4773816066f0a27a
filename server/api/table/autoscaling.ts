// The HorizontalPodAutoscaler printer: Reference as Kind/name, Targets as
// "cpu: 250%/50%" for each of the first two metrics (current/target, the
// current value from status.currentMetrics at the same index). Upstream
// prints the internal object, so an autoscaling/v1 row is its v2 form's.
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import { v1ToV2 } from '../kinds/autoscaling-v1.js';
import { formatQuantity, parseQuantity } from '../../../common/quantity.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { age } from './duration.js';
import type { Printer } from './table.js';

export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    nameColumn,
    column('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    column('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond. If not set, the default metric will be set to 80% average CPU utilization.'),
    column('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.'),
    column('MaxPods', 'integer', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.'),
    column('Replicas', 'integer', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
    ageColumn,
  ],
  cells(object, now) {
    const { spec, status } = (object.apiVersion === 'autoscaling/v1' ? v1ToV2(object) : object) as unknown as HorizontalPodAutoscaler;
    return [
      object.metadata.name ?? '',
      `${spec?.scaleTargetRef?.kind ?? ''}/${spec?.scaleTargetRef?.name ?? ''}`,
      formatTargets(spec?.metrics ?? [], status?.currentMetrics ?? []),
      spec?.minReplicas === undefined ? '<unset>' : String(spec.minReplicas),
      spec?.maxReplicas ?? 0,
      status?.currentReplicas ?? 0,
      age(object, now),
    ];
  },
};

/** printers.go's formatHPAMetrics. */
export function formatTargets(specs: readonly MetricSpec[], statuses: readonly MetricStatus[]): string {
  if (specs.length === 0) return '<none>';
  const list = specs.map((spec, i) => {
    const status = statuses[i];
    switch (spec.type) {
      case 'External': {
        const target = spec.external?.target;
        if (target?.averageValue !== undefined) return `${q(status?.external?.current.averageValue)}/${q(target.averageValue)} (avg)`;
        return `${status?.external ? q(status.external.current.value) : UNKNOWN}/${q(target?.value)}`;
      }
      case 'Pods':
        return `${status?.pods ? q(status.pods.current.averageValue) : UNKNOWN}/${q(spec.pods?.target.averageValue)}`;
      case 'Object': {
        const target = spec.object?.target;
        if (target?.averageValue !== undefined) return `${q(status?.object?.current.averageValue)}/${q(target.averageValue)} (avg)`;
        return `${status?.object ? q(status.object.current.value) : UNKNOWN}/${q(target?.value)}`;
      }
      case 'Resource':
      case 'ContainerResource': {
        const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const current = spec.type === 'Resource' ? status?.resource?.current : status?.containerResource?.current;
        const target = source?.target;
        if (target?.averageValue !== undefined) return `${source!.name}: ${current ? q(current.averageValue) : UNKNOWN}/${q(target.averageValue)}`;
        const utilization = current?.averageUtilization;
        return `${source?.name ?? ''}: ${utilization === undefined ? UNKNOWN : `${utilization}%`}/${target?.averageUtilization === undefined ? '<auto>' : `${target.averageUtilization}%`}`;
      }
      default:
        return '<unknown type>';
    }
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

const UNKNOWN = '<unknown>';

/** Quantity.String() of a stored quantity; "<unknown>" where Go would print an unset one as "0". */
function q(value: string | number | undefined): string {
  if (value === undefined) return UNKNOWN;
  const parsed = parseQuantity(value);
  return typeof parsed === 'string' ? String(value) : formatQuantity(parsed);
}
