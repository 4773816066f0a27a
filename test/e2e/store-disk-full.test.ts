// A full disk under a real `bramble server` (its data dir on a small tmpfs, as
// an SD card that filled up): the write the disk refuses fails with the
// store's reason and leaves nothing behind, later writes are refused until a
// restart while reads go on (and /readyz, /livez and /healthz fail), and a
// restart with room again has every acknowledged object and takes writes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { mountTmpfs } from '../../agent/volumes/tmpfs.js';
import { api, type Credentials, credentialsFrom } from '../helpers/api-client.js';
import { type BrambleProcess, serverArgs, startServer } from '../helpers/bramble.js';
import { tempDir } from '../helpers/temp.js';

const execFileAsync = promisify(execFile);
const CM = '/api/v1/namespaces/default/configmaps';
/** Under the API's 1 MiB of ConfigMap data, and random (LevelDB compresses its tables): a few of them fill the tmpfs. */
const DATA_BYTES = 700 * 1024;

const configMap = (name: string, fill: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { fill } });

interface Status {
  readonly kind: string;
  readonly reason: string;
  readonly message: string;
}

test('a full disk: the refused write fails with the reason and leaves nothing, writes wait for a restart, reads go on, and a restart with room keeps every acknowledged object', async (t) => {
  const mountPoint = await tempDir(t);
  await mountTmpfs(mountPoint, 6n << 20n);
  const dataDir = join(mountPoint, 'data');
  let server: BrambleProcess | undefined;
  try {
    server = await startServer(t, serverArgs(dataDir));
    let creds: Credentials = await credentialsFrom(join(dataDir, 'kubeconfig.yaml'));

    const acknowledged = new Map<string, string>();
    let refused: Status | undefined;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      const name = `fill-${i}`;
      const fill = randomBytes((DATA_BYTES * 3) / 4).toString('base64');
      const res = await api(creds, 'POST', CM, { body: configMap(name, fill) });
      if (res.status === 201) acknowledged.set(name, fill);
      else {
        assert.equal(res.status, 500, res.text.slice(0, 300));
        refused = res.json<Status>();
        assert.equal((await api(creds, 'GET', `${CM}/${name}`)).status, 404, 'the refused object must not exist');
      }
    }
    assert.ok(refused !== undefined, 'the tmpfs never filled up');
    assert.ok(acknowledged.size > 0, 'nothing fitted before the disk filled up');
    assert.equal(refused.kind, 'Status');
    assert.equal(refused.reason, 'InternalError');
    assert.match(refused.message, /^Internal error occurred: the write could not be made durable: .*No space left on device/);

    // With room again, the store still takes no write: LevelDB would lose the ones after its torn log record.
    await execFileAsync('mount', ['-o', 'remount,size=64m', mountPoint]);
    const later = await api(creds, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' } }) });
    assert.equal(later.status, 500, later.text.slice(0, 300));
    assert.match(later.json<Status>().message, /the store takes no writes since its disk refused one .*restart the server once the disk is fixed/);
    const listed = await api(creds, 'GET', CM);
    assert.equal(listed.status, 200, 'reads go on');
    assert.deepEqual(
      listed.json<{ items: { metadata: { name: string } }[] }>().items.map((i) => i.metadata.name).filter((n) => n.startsWith('fill-')),
      [...acknowledged.keys()],
    );
    assert.match(server.log(), /msg="store write failed; no more writes until the server restarts"/);
    // Health says so: the public roots withhold the reason, the check's own path gives it to the admin.
    const anonymous: Credentials = { server: creds.server, ca: creds.ca };
    for (const root of ['/readyz', '/livez', '/healthz']) {
      const health = await api(anonymous, 'GET', root);
      assert.equal(health.status, 500, root);
      assert.equal(health.text, `[+]ping ok\n[-]store failed: reason withheld\n${root.slice(1)} check failed\n`);
    }
    const storeCheck = await api(creds, 'GET', '/readyz/store');
    assert.equal(storeCheck.status, 500);
    assert.match(storeCheck.text, /^internal server error: the store takes no writes since its disk refused one \(.*No space left on device.*\); restart the server/);
    assert.equal((await api(anonymous, 'GET', '/readyz/store')).status, 401, 'the reason is not public');

    await server.stop();
    server = await startServer(t, serverArgs(dataDir));
    // A new port: the restarted server wrote its kubeconfig again.
    creds = await credentialsFrom(join(dataDir, 'kubeconfig.yaml'));
    for (const [name, fill] of acknowledged) {
      const got = await api(creds, 'GET', `${CM}/${name}`);
      assert.equal(got.status, 200, `${name} was acknowledged before the disk filled up`);
      assert.equal(got.json<{ data: { fill: string } }>().data.fill, fill);
    }
    assert.equal((await api(creds, 'POST', CM, { body: configMap('after-restart', 'z') })).status, 201);
    assert.equal((await api(creds, 'GET', '/readyz?verbose')).text, '[+]ping ok\n[+]store ok\nreadyz check passed\n');
  } finally {
    // Before tempDir's unmount (its hook runs first).
    await server?.stop();
  }
});
