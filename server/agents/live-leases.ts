// Node Leases as clients read them: the server renews them in memory on
// every heartbeat and writes them only with the Node's status (see
// node-keeper.ts), so a read shows the renewTime of the latest heartbeat.
import type { LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import type { KindRules } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { microTime, NODE_LEASE_NAMESPACE } from './node-keeper.js';

export function withLiveNodeLeases(rules: (type: ResourceType) => KindRules, lastSeen: (node: string) => number | undefined): (type: ResourceType) => KindRules {
  return (type) => {
    const base = rules(type);
    if (type.group !== 'coordination.k8s.io' || type.plural !== 'leases') return base;
    return {
      ...base,
      present: (obj) => {
        if (obj.metadata.namespace !== NODE_LEASE_NAMESPACE || obj.metadata.name === undefined) return;
        const seen = lastSeen(obj.metadata.name);
        const spec = (obj as { spec?: LeaseSpec }).spec;
        if (seen === undefined || spec === undefined) return;
        if (spec.renewTime === undefined || Date.parse(spec.renewTime) < seen) spec.renewTime = microTime(seen);
      },
    };
  };
}
