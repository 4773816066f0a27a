// The server writes an agent's pod status only for a pod that exists, is
// bound to the agent's own node and has the reported uid; malformed JSON is
// refused with a warning; conditions the agent does not own stay. On a real
// store and registry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { PodStatusWriter } from '../../server/agents/pod-status-writer.js';
import type { KubeObject } from '../../server/api/objects.js';
import { apiRegistry } from '../helpers/api-registry.js';

test('pod statuses are written only for the reporting node’s own pod with that uid', async (t) => {
  const { catalogue, registry } = await apiRegistry(t);
  const pods = catalogue.get('', 'v1', 'pods')!;
  const created = (await registry.create(
    pods,
    'default',
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: 'pi-1', containers: [{ name: 'web', image: 'busybox' }] } } as KubeObject,
    {},
  )) as KubeObject & Pod;
  // A condition someone else owns (the taint eviction controller's).
  await registry.patch(pods, 'default', 'web', (p) => ({ ...p, status: { ...(p as Pod).status, conditions: [{ type: 'DisruptionTarget', status: 'True' }] } }) as KubeObject, { subresource: 'status' });
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  const writer = new PodStatusWriter({ registry, catalogue });
  const status = { phase: 'Running', podIP: '10.99.1.5', conditions: [{ type: 'Ready', status: 'True' }] };
  const report = (overrides: object = {}) => ({ namespace: 'default', name: 'web', uid: created.metadata.uid!, statusJson: Buffer.from(JSON.stringify(status)), ...overrides });
  const stored = async () => ((await registry.get(pods, 'default', 'web')) as KubeObject & Pod).status;

  await writer.write('pi-2', report(), log);
  await writer.write('pi-1', report({ uid: 'another-uid' }), log);
  await writer.write('pi-1', report({ name: 'nope' }), log);
  await writer.write('pi-1', report({ statusJson: Buffer.from('{not json') }), log);
  await writer.write('pi-1', report({ statusJson: Buffer.from('[]') }), log);
  assert.equal((await stored())?.phase, 'Pending', 'nothing written');
  assert.equal(lines.filter((l) => /level=debug.*pod status dropped/.test(l)).length, 3, lines.join(''));
  assert.equal(lines.filter((l) => /level=warn.*pod status refused/.test(l)).length, 2, lines.join(''));

  await writer.write('pi-1', report(), log);
  const written = await stored();
  assert.equal(written?.phase, 'Running');
  assert.equal(written?.podIP, '10.99.1.5');
  assert.deepEqual(written?.conditions?.map((c) => `${c.type}=${c.status}`), ['DisruptionTarget=True', 'Ready=True']);
});
