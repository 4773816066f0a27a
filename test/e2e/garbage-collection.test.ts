// Cascading deletion with the real kubectl, oldest and newest supported,
// against a real `bramble server`: owners and dependents made with
// `kubectl apply` (ownerReferences naming the owner's uid), then
// `kubectl delete --cascade=background|foreground|orphan`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.33'];

interface Owner {
  readonly name: string;
  readonly uid: string;
}

/** A ConfigMap or Secret owned by `owner`, as kubectl applies it. */
const dependent = (kind: 'ConfigMap' | 'Secret', name: string, owner: Owner, opts: { block?: boolean; finalizers?: string[] } = {}) => `apiVersion: v1
kind: ${kind}
metadata:
  name: ${name}
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: ${owner.name}
    uid: ${owner.uid}
    blockOwnerDeletion: ${opts.block === true}
${opts.finalizers === undefined ? '' : `  finalizers: [${opts.finalizers.join(', ')}]\n`}data: {}
---
`;

for (const version of VERSIONS) {
  test(`kubectl ${version}: delete --cascade=background takes the dependents, foreground waits for a blocking one, orphan leaves them`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, [...serverArgs(dataDir), '--node-monitor-grace-period', '1h']);
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    const { ok } = k;
    const owner = async (name: string): Promise<Owner> => {
      await ok(['create', 'configmap', name]);
      return { name, uid: await ok(['get', 'configmap', name, '-o', 'jsonpath={.metadata.uid}']) };
    };
    const exists = async (resource: string) => {
      const r = await k.run(['get', resource, '-o', 'name']);
      if (r.code !== 0) assert.match(r.stderr, /NotFound/);
      return r.code === 0;
    };
    const gone = (resource: string) => until(async () => !(await exists(resource)), `${resource} gone`, 10_000);
    const metadataOf = async (resource: string) =>
      (JSON.parse(await ok(['get', resource, '-o', 'json'])) as { metadata: { finalizers?: string[]; deletionTimestamp?: string; ownerReferences?: { uid: string }[] } }).metadata;

    // Background: the owner goes at once, its dependents after it.
    const bg = await owner('bg-owner');
    await ok(['apply', '-f', '-'], dependent('ConfigMap', 'bg-map', bg) + dependent('Secret', 'bg-secret', bg, { block: true }));
    assert.equal(await ok(['delete', 'configmap', 'bg-owner', '--cascade=background']), 'configmap "bg-owner" deleted\n');
    await gone('configmap/bg-map');
    await gone('secret/bg-secret');

    // Foreground: the owner waits, marked, for the dependent that blocks it and is held by its own finalizer.
    const fg = await owner('fg-owner');
    await ok(
      ['apply', '-f', '-'],
      dependent('Secret', 'fg-blocking', fg, { block: true, finalizers: ['example.com/hold'] }) + dependent('ConfigMap', 'fg-free', fg),
    );
    await ok(['delete', 'configmap', 'fg-owner', '--cascade=foreground', '--wait=false']);
    await gone('configmap/fg-free');
    await until(async () => (await metadataOf('secret/fg-blocking')).deletionTimestamp !== undefined, 'the blocking dependent deleted', 10_000);
    const waiting = await metadataOf('configmap/fg-owner');
    assert.deepEqual(waiting.finalizers, ['foregroundDeletion']);
    assert.ok(waiting.deletionTimestamp);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual((await metadataOf('configmap/fg-owner')).finalizers, ['foregroundDeletion'], 'still waiting');
    await ok(['patch', 'secret', 'fg-blocking', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    await gone('secret/fg-blocking');
    await gone('configmap/fg-owner');

    // Orphan: kubectl waits until the owner is gone; the dependents stay, naming it no more.
    const orphan = await owner('or-owner');
    const other = await owner('or-other');
    const both = dependent('ConfigMap', 'or-both', orphan).replace('  ownerReferences:\n', `  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: or-other, uid: ${other.uid}}\n`);
    await ok(['apply', '-f', '-'], dependent('Secret', 'or-secret', orphan, { block: true }) + both);
    assert.equal(await ok(['delete', 'configmap', 'or-owner', '--cascade=orphan']), 'configmap "or-owner" deleted\n');
    assert.equal(await exists('configmap/or-owner'), false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await metadataOf('secret/or-secret')).ownerReferences, undefined);
    assert.deepEqual((await metadataOf('configmap/or-both')).ownerReferences?.map((r) => r.uid), [other.uid]);
  });
}
