// The plugins the scheduler runs, in upstream kube-scheduler's filter order:
// the scheduler stops at a node's first failing filter, so the order decides
// which reason a node that fails several shows, as upstream's would.
import type { Plugin } from '../framework.js';
import { interPodAffinity } from './inter-pod-affinity.js';
import { nodeAffinity } from './node-affinity.js';
import { nodePorts } from './node-ports.js';
import { nodeResourcesFit } from './node-resources-fit.js';
import { nodeUnschedulable } from './node-unschedulable.js';
import { podTopologySpread } from './pod-topology-spread.js';
import { taintToleration } from './taint-toleration.js';
import { volumeBinding } from './volume-binding.js';

// Each plugin has its own State type; the scheduler only passes a plugin's state back to that plugin.
export const DEFAULT_PLUGINS: readonly Plugin<any>[] = [
  nodeUnschedulable,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
  volumeBinding,
  podTopologySpread,
  interPodAffinity,
];
