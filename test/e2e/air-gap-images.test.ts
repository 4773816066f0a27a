// Air-gap images on a real containerd: archives copied into the agent's
// DATA/agent/images (docker-archive and OCI archive; plain, gzip and zstd)
// are imported at start, so pods run images no registry serves; one bad
// archive is said in the log and does not stop the others; a restart does
// not import unchanged archives again.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { writeImageArchive } from '../helpers/test-images.js';

const NODE = 'pi-1';
const run = promisify(execFile);

test('image archives in the agent’s images folder are imported at start and run pods no registry could serve', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c, runtime } = node;
  const imagesDir = join(c.dir, NODE, 'images');
  await mkdir(imagesDir);
  // Names under a registry that does not exist: only the archives can provide them.
  await copyFile(await writeImageArchive(t, 'busybox:1.36', 'docker-archive', 'registry.invalid/airgap/app:1'), join(imagesDir, 'app-1.tar'));
  await writeFile(join(imagesDir, 'app-2.tar.gz'), gzipSync(await readFile(await writeImageArchive(t, 'busybox:1.37', 'oci-archive', 'registry.invalid/airgap/app:2'))));
  await run('zstd', ['--quiet', await writeImageArchive(t, 'busybox:1.36', 'docker-archive', 'registry.invalid/airgap/app:3'), '-o', join(imagesDir, 'app-3.tar.zst')]);
  await writeFile(join(imagesDir, 'broken.tar'), 'not a tar archive\n'.repeat(100));
  await writeFile(join(imagesDir, 'notes.txt'), 'not an archive at all\n');

  const started = performance.now();
  const agent = await node.restartAgent();
  t.diagnostic(`agent restart with 3 archives to import: ${Math.round(performance.now() - started)} ms`);
  for (const [file, image] of [['app-1.tar', 'app:1'], ['app-2.tar.gz', 'app:2'], ['app-3.tar.zst', 'app:3']]) {
    assert.match(agent.log(), new RegExp(`msg="imported an image archive" file=\\S*${file.replace(/\./g, '\\.')} images=registry\\.invalid/airgap/${image}`));
  }
  assert.match(agent.log(), /level=warn msg="could not import an image archive; the others go on, and it is tried again at the next start" file=\S*broken\.tar error="ctr images import exited with 1: .+"/);
  assert.doesNotMatch(agent.log(), /notes\.txt/);

  const pods: [name: string, image: string, policy: string][] = [
    ['never', 'registry.invalid/airgap/app:1', 'Never'],
    ['ifnotpresent', 'registry.invalid/airgap/app:2', 'IfNotPresent'],
    ['zstd', 'registry.invalid/airgap/app:3', 'Never'],
  ];
  for (const [name, image, policy] of pods) {
    const r = await c.k.run(['run', name, `--image=${image}`, `--image-pull-policy=${policy}`, '--restart=Never', '--', 'sleep', '3600']);
    assert.equal(r.code, 0, r.stderr);
  }
  await until(async () => {
    for (const [name] of pods) if ((await podJson(c.k, name)).status?.phase !== 'Running') return false;
    return true;
  }, 'air-gap pods Running', 30_000);
  // Each runs the image its archive held.
  for (const [name, version] of [['never', '1.36'], ['ifnotpresent', '1.37']]) {
    const [container] = await runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.name': name } });
    const exec = await runtime.execSync(container!.id, ['cat', '/etc/bramble-version'], 10);
    assert.equal(exec.stdout.toString(), `${version}\n`);
  }

  // A restart reads nothing again but the archive that failed.
  const again = await node.restartAgent();
  assert.doesNotMatch(again.log(), /msg="imported an image archive"/);
  assert.match(again.log(), /msg="could not import an image archive.*file=\S*broken\.tar/);

  for (const [name] of pods) assert.equal((await c.k.run(['delete', 'pod', name, '--grace-period=1', '--wait=false'])).code, 0);
});

async function podJson(k: Kubectl, name: string): Promise<Pod> {
  const r = await k.run(['get', 'pod', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Pod;
}
