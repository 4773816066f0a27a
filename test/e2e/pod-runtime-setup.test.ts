// The infrastructure for real pods, proved with real tools only: test images
// built offline and pushed to a real registry, containerd pulling them through
// its mirrors over plain http, runc running them, the CNI plugins wiring a pod
// network of the test's own, and the teardown leaving nothing of it behind.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../helpers/bramble.js';
import { startContainerd } from '../helpers/containerd.js';
import { startRegistry } from '../helpers/registry.js';
import { localImage, publicImage, pushTestImages, testImageLayout, writeImageArchive } from '../helpers/test-images.js';

const exec = promisify(execFile);

test('test images are built, pushed to a real registry, pulled through containerd mirrors and run by runc', async (t) => {
  let started = performance.now();
  const { pause } = await testImageLayout();
  t.diagnostic(`images built in ${ms(started)} (pause: ${pause})`);

  const registry = await startRegistry(t);
  started = performance.now();
  await pushTestImages(registry);
  t.diagnostic(`images pushed in ${ms(started)}`);
  for (const image of ['busybox:1.36', 'busybox:1.37', 'pause:3.9'] as const) {
    const { stdout } = await exec('skopeo', ['--insecure-policy', 'inspect', '--tls-verify=false', `docker://${localImage(registry, image)}`]);
    const inspected = JSON.parse(stdout) as { Os: string; Layers: string[] };
    assert.equal(inspected.Os, 'linux', image);
    // busybox: the rootfs and the /etc/bramble-version layer.
    assert.equal(inspected.Layers.length, image === 'pause:3.9' ? 1 : 2, image);
  }

  const containerd = await startContainerd(t, { registry, podNetwork: true });
  assert.match(await readFile(join(containerd.dir, 'config.toml'), 'utf8'), new RegExp(`sandbox_image = "${registry}/pause:3.9"`));
  // runc's state where containerd's CRI keeps it: in the test's folder.
  const runcRoot = join(containerd.dir, 'runc');
  const ctr = (...args: string[]) => exec('ctr', ['--address', containerd.socket, '-n', 'k8s.io', ...args]);

  // The CRI plugin loaded with this config (it only logs when it does not).
  assert.match((await ctr('plugins', 'ls')).stdout, /io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok/);

  for (const ref of [publicImage('busybox:1.36'), publicImage('pause:3.9'), localImage(registry, 'pause:3.9')]) {
    started = performance.now();
    await ctr('images', 'pull', '--hosts-dir', containerd.hostsDir!, ref);
    t.diagnostic(`ctr pulled ${ref} in ${ms(started)}`);
  }
  // No upstream behind the mirror: a missing image fails at once.
  started = performance.now();
  await assert.rejects(ctr('images', 'pull', '--hosts-dir', containerd.hostsDir!, 'docker.io/library/nothing:here'), /not found/);
  assert.ok(performance.now() - started < 5_000);

  // The air-gap path: an archive imported, not pulled.
  const archive = await writeImageArchive(t, 'busybox:1.37');
  await ctr('images', 'import', archive);
  const listed = (await ctr('images', 'ls', '-q')).stdout.split('\n');
  for (const ref of [...(['busybox:1.36', 'busybox:1.37', 'pause:3.9'] as const).map(publicImage), localImage(registry, 'pause:3.9')]) {
    assert.ok(listed.includes(ref), `${ref} in ${listed.join(', ')}`);
  }

  // Plain runc through ctr (CRI's restrict_oom_score_adj does not apply here:
  // ctr sets no oom_score_adj, so runc writes none).
  started = performance.now();
  const run136 = await ctr('run', '--rm', '--runtime', 'io.containerd.runc.v2', '--runc-root', runcRoot, publicImage('busybox:1.36'), id('echo'), 'sh', '-c', 'echo hello; cat /etc/bramble-version');
  t.diagnostic(`ctr run --rm busybox in ${ms(started)}`);
  assert.equal(run136.stdout, 'hello\n1.36\n');
  const run137 = await ctr('run', '--rm', '--runtime', 'io.containerd.runc.v2', '--runc-root', runcRoot, publicImage('busybox:1.37'), id('version'), 'cat', '/etc/bramble-version');
  assert.equal(run137.stdout, '1.37\n');

  // The pause image stays up, and exits 0 on SIGTERM as its pod's pid 1.
  const pauseId = id('pause');
  const running = spawn('ctr', ['--address', containerd.socket, '-n', 'k8s.io', 'run', '--rm', '--runtime', 'io.containerd.runc.v2', '--runc-root', runcRoot, publicImage('pause:3.9'), pauseId]);
  const exited = new Promise<number | null>((resolve) => running.once('exit', resolve));
  t.after(() => running.exitCode === null && running.kill('SIGKILL'));
  for (let tries = 0; !(await ctr('tasks', 'ls')).stdout.includes(`${pauseId} `); tries++) {
    assert.ok(tries < 100, 'the pause container never ran');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(running.exitCode, null, 'pause exited by itself');
  await ctr('tasks', 'kill', '-s', 'SIGTERM', pauseId);
  assert.equal(await exited, 0);
});

test('the pod network is torn down whole, also for a pod the test never removed', async (t) => {
  const containerd = await startContainerd(t, { podNetwork: true });
  const network = containerd.network!;
  assert.match(network.subnet, /^10\.99\.\d{1,3}\.0\/24$/);
  assert.match(network.name, /^brmbl[0-9a-f]{6}$/);

  // What containerd does for a pod (a network namespace under its state dir,
  // CNI ADD through the conflist with a hostPort), with the real plugins, but
  // no CNI DEL after: a test that died with its pod still up.
  const netns = join(containerd.dir, 'state', `cni-${randomBytes(4).toString('hex')}`);
  await writeFile(netns, '');
  await exec('unshare', [`--net=${netns}`, 'true']);
  const hostPort = await freePort();
  const result = await cniAdd(network.conflistFile, netns, id('sandbox'), [{ hostPort, containerPort: 80, protocol: 'tcp' }]);
  const podIp = result.ips[0]!.address.split('/')[0]!;
  assert.ok(podIp.startsWith(network.subnet.replace(/0\/24$/, '')), podIp);
  await exec('/bin/busybox', ['ping', '-c', '1', '-W', '2', podIp]);
  assert.match((await exec('ip', ['-4', 'addr', 'show', network.name])).stdout, new RegExp(`inet ${network.gateway}/24`));
  const nat = (await exec('iptables-save', ['-t', 'nat'])).stdout;
  assert.match(nat, new RegExp(`-s ${podIp}/32 .* -j CNI-`), 'bridge masquerade rule');
  assert.match(nat, new RegExp(`--to-destination ${podIp}:80`), 'portmap DNAT rule');
  // This pod's chains: bridge's masquerade CNI-<hash>, portmap's CNI-DN-<hash>.
  const podChains = new Set(
    nat
      .split('\n')
      .filter((rule) => rule.startsWith('-A ') && (rule.includes(`${podIp}/32`) || rule.includes(network.name)))
      .map((rule) => / -j (CNI-\S+)/.exec(rule)?.[1])
      .filter((chain): chain is string => chain !== undefined && !chain.startsWith('CNI-HOSTPORT-')),
  );
  assert.equal(podChains.size, 2, [...podChains].join(', '));

  await containerd.stop();
  await assert.rejects(exec('ip', ['link', 'show', network.name]), /does not exist/);
  const prefix = network.subnet.replace(/0\/24$/, '');
  for (const table of ['nat', 'filter']) {
    const rules = (await exec('iptables-save', ['-t', table])).stdout.split('\n');
    const left = rules.filter((rule) => rule.includes(prefix) || rule.includes(network.name));
    assert.deepEqual(left, [], `${table}: rules of ${network.subnet} left`);
    for (const chain of podChains) assert.ok(!rules.some((rule) => rule.startsWith(`:${chain} `)), `${table}: chain ${chain} left`);
  }
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((line) => line.includes(containerd.dir));
  assert.deepEqual(mounts, [], 'mounts left under the containerd folder');
  const results = await readdir('/var/lib/cni/results').catch(() => [] as string[]);
  assert.deepEqual(results.filter((f) => f.startsWith(network.name)), []);
});

/** CNI ADD through a conflist, plugin after plugin, as libcni does it. */
async function cniAdd(
  conflistFile: string,
  netns: string,
  containerId: string,
  portMappings: { hostPort: number; containerPort: number; protocol: string }[],
): Promise<{ ips: { address: string }[] }> {
  const conflist = JSON.parse(await readFile(conflistFile, 'utf8')) as {
    cniVersion: string;
    name: string;
    plugins: { type: string; capabilities?: Record<string, boolean> }[];
  };
  let prevResult: unknown;
  for (const plugin of conflist.plugins) {
    const conf = {
      ...plugin,
      cniVersion: conflist.cniVersion,
      name: conflist.name,
      ...(prevResult === undefined ? {} : { prevResult }),
      ...(plugin.capabilities?.portMappings ? { runtimeConfig: { portMappings } } : {}),
    };
    const env = {
      ...process.env,
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: containerId,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/usr/lib/cni',
    };
    prevResult = JSON.parse(await withInput(`/usr/lib/cni/${plugin.type}`, JSON.stringify(conf), env));
  }
  return prevResult as { ips: { address: string }[] };
}

function withInput(command: string, input: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, [], { env }, (err, stdout, stderr) => (err ? reject(new Error(`${command}: ${stdout}${stderr}`)) : resolve(stdout)));
    child.stdin!.end(input);
  });
}

function id(what: string): string {
  return `bramble-${what}-${randomBytes(4).toString('hex')}`;
}

function ms(since: number): string {
  return `${Math.round(performance.now() - since)} ms`;
}
