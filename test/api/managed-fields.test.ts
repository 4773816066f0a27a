import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../server/api/objects.js';
import type { Registry } from '../../server/api/registry/registry.js';
import { apiRegistry } from '../helpers/api-registry.js';

function deployment(extra: { labels?: Record<string, string>; replicas?: number; image?: string } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      ...(extra.replicas !== undefined ? { replicas: extra.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: extra.image ?? 'nginx:1', ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

describe('scratch', () => {
  test('shows', async (t) => {
    const { registry, catalogue } = await apiRegistry(t);
    const type = catalogue.get('apps', 'v1', 'deployments')!;
    const created = await registry.create(type, 'default', deployment({ labels: { app: 'web' } }), { manager: { name: 'kubectl-create' } });
    console.log(JSON.stringify(created.metadata.managedFields, null, 1));
    const applied = await registry.apply(type, 'default', 'web', deployment({ labels: { app: 'web', tier: 'x' }, replicas: 3 }), { manager: { name: 'kubectl' }, force: false }).catch((e) => e);
    console.log(applied);
    void (registry as Registry);
    assert.ok(true);
  });
});
