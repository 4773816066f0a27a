// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods
// that tolerate the unschedulable taint, as DaemonSet pods do.
import type { Taint } from 'kubernetes-types/core/v1.js';
import type { Plugin } from '../framework.js';
import { toleratesAny } from '../../api/kinds/tolerations.js';

const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export const nodeUnschedulable: Plugin = {
  name: 'NodeUnschedulable',
  filter: (pod, node) =>
    node.node.spec?.unschedulable && !toleratesAny(pod.pod.spec?.tolerations, UNSCHEDULABLE_TAINT) ? ['node(s) were unschedulable'] : [],
};
