import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ensureClusterPki, writeKubeconfig } from '../../server/pki/index.js';
import { tempDir } from '../helpers/temp.js';
import { kubectl, modeOf } from './pki-helpers.js';

const SERVER = 'https://192.0.2.10:6443';

interface Kubeconfig {
  apiVersion: string;
  kind: string;
  'current-context': string;
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
}

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

for (const mode of [0o600, 0o644]) {
  test(`writeKubeconfig writes mode ${mode.toString(8)} (over a file of another mode, under umask 077) with the PEMs inline`, async (t) => {
    const dir = await tempDir(t);
    const umask = process.umask(0o077);
    t.after(() => process.umask(umask));
    const pki = await ensureClusterPki({ dir: join(dir, 'pki'), sans: [] });
    const path = join(dir, 'kube', 'config');
    await writeKubeconfig(path, { server: 'https://old:1', caCertPem: 'x', clientCertPem: 'x', clientKeyPem: 'x', mode: 0o640 });
    await writeKubeconfig(path, {
      server: SERVER,
      caCertPem: pki.caCertPem,
      clientCertPem: pki.adminCertPem,
      clientKeyPem: pki.adminKeyPem,
      mode,
    });
    assert.equal(await modeOf(path), mode);
    assert.deepEqual(await readdir(join(dir, 'kube')), ['config']);

    const config = parse(await readFile(path, 'utf8')) as Kubeconfig;
    assert.equal(config.apiVersion, 'v1');
    assert.equal(config.kind, 'Config');
    assert.equal(config['current-context'], 'default');
    assert.deepEqual(config.contexts, [{ name: 'default', context: { cluster: 'default', user: 'default' } }]);
    assert.deepEqual(
      config.clusters.map((c) => [c.name, c.cluster.server, decode(c.cluster['certificate-authority-data'])]),
      [['default', SERVER, pki.caCertPem]],
    );
    assert.deepEqual(
      config.users.map((u) => [u.name, decode(u.user['client-certificate-data']), decode(u.user['client-key-data'])]),
      [['default', pki.adminCertPem, pki.adminKeyPem]],
    );
  });
}

test('kubectl 1.33 reads the kubeconfig and finds the server URL', async (t) => {
  const dir = await tempDir(t);
  const pki = await ensureClusterPki({ dir: join(dir, 'pki'), sans: [] });
  const path = join(dir, 'kubeconfig.yaml');
  await writeKubeconfig(path, {
    server: SERVER,
    caCertPem: pki.caCertPem,
    clientCertPem: pki.adminCertPem,
    clientKeyPem: pki.adminKeyPem,
    mode: 0o600,
  });
  const args = ['--kubeconfig', path, 'config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.server}'];
  assert.equal(await kubectl('1.33', args, dir), SERVER);
});
