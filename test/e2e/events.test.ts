// Events through both API groups with the real kubectl: an operator that
// reports through events.k8s.io/v1 (client-go's newer recorder) is seen by
// `kubectl get events` and `kubectl events`, which read core/v1, and a core
// event is served through events.k8s.io/v1 with its fields renamed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const newEvent = (name: string, type: string) =>
  JSON.stringify({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    eventTime: new Date().toISOString().replace('Z', '000Z'),
    reportingController: 'example.com/operator',
    reportingInstance: 'operator-0',
    action: 'Reconcile',
    reason: 'Synced',
    regarding: { kind: 'ConfigMap', name: 'settings', namespace: 'default', apiVersion: 'v1' },
    note: 'settings synced',
    type,
  });

const coreEvent = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'settings.old', namespace: 'default' },
  involvedObject: { kind: 'ConfigMap', name: 'settings', namespace: 'default' },
  reason: 'Noticed',
  message: 'an old-style event',
  type: 'Normal',
  source: { component: 'tester' },
  count: 1,
  firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
});

for (const version of ['1.27', '1.33']) {
  test(`kubectl ${version}: events written through either group are one object, read through both`, async (t) => {
    const dataDir = join(await tempDir(t), 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));

    assert.equal(await k.ok(['create', '-f', '-'], newEvent('settings.new', 'Normal')), 'event.events.k8s.io/settings.new created\n');
    assert.equal(await k.ok(['create', '-f', '-'], coreEvent), 'event/settings.old created\n');

    // core/v1, as `kubectl get events` and `kubectl events` read them.
    const core = JSON.parse(await k.ok(['get', 'events.v1.', 'settings.new', '-o', 'json'])) as Record<string, unknown>;
    assert.equal(core['apiVersion'], 'v1');
    assert.equal(core['message'], 'settings synced');
    assert.equal(core['reportingComponent'], 'example.com/operator');
    assert.deepEqual(core['involvedObject'], { kind: 'ConfigMap', name: 'settings', namespace: 'default', apiVersion: 'v1' });
    const listed = await k.ok(['get', 'events', '--sort-by', 'metadata.name']);
    assert.match(listed, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
    assert.match(listed, /\n\S+\s+Normal\s+Synced\s+configmap\/settings\s+settings synced\n/);
    assert.match(listed, /\n\S+\s+Normal\s+Noticed\s+configmap\/settings\s+an old-style event\n/);
    assert.match(await k.ok(['events', '--for', 'configmap/settings']), /Synced\s+ConfigMap\/settings\s+settings synced/);

    // events.k8s.io/v1: the core event with its fields renamed, and field selectors by core's labels.
    const renamed = JSON.parse(await k.ok(['get', 'events.v1.events.k8s.io', 'settings.old', '-o', 'json'])) as Record<string, unknown>;
    assert.equal(renamed['apiVersion'], 'events.k8s.io/v1');
    assert.equal(renamed['note'], 'an old-style event');
    assert.equal(renamed['deprecatedCount'], 1);
    assert.deepEqual(renamed['deprecatedSource'], { component: 'tester' });
    assert.ok(!('message' in renamed) && !('involvedObject' in renamed));
    assert.equal(
      await k.ok(['get', 'events.v1.events.k8s.io', '--field-selector', 'involvedObject.name=settings,reason=Synced', '-o', 'name']),
      'event.events.k8s.io/settings.new\n',
    );

    // The strict rules of events.k8s.io/v1 refuse what core/v1 lets through; nothing is stored.
    const bad = await k.run(['create', '-f', '-'], { stdin: newEvent('settings.bad', 'Info') });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'The Event "settings.bad" is invalid: type: Invalid value: "": has invalid value: Info\n');
    assert.match((await k.run(['get', 'events.v1.', 'settings.bad'])).stderr, /NotFound/);

    // Deleted through one group, gone from both.
    assert.equal(await k.ok(['delete', 'events.v1.events.k8s.io', 'settings.old']), 'event.events.k8s.io "settings.old" deleted\n');
    assert.match((await k.run(['get', 'events.v1.', 'settings.old'])).stderr, /Error from server \(NotFound\): events "settings.old" not found/);
  });
}
