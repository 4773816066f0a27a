// Pull secrets matched to images as kubelet's credential keyring matches them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { Keyring, repositoryOf, secretCredentials } from '../../agent/pods/registry-credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function dockerConfigJson(auths: Record<string, unknown>, name = 'regcred'): Secret {
  return {
    metadata: { namespace: 'default', name },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
  };
}

function keyring(auths: Record<string, unknown>): Keyring {
  return new Keyring(secretCredentials(dockerConfigJson(auths)));
}

const user = (u: string) => ({ auth: b64(`${u}:pw-${u}`) });

test('image names normalize to their repository as Docker’s reference parser does', () => {
  assert.equal(repositoryOf('busybox'), 'docker.io/library/busybox');
  assert.equal(repositoryOf('busybox:1.36'), 'docker.io/library/busybox');
  assert.equal(repositoryOf('me/app:v1'), 'docker.io/me/app');
  assert.equal(repositoryOf('index.docker.io/me/app'), 'docker.io/me/app');
  assert.equal(repositoryOf('docker.io/library/busybox@sha256:abc'), 'docker.io/library/busybox');
  assert.equal(repositoryOf('127.0.0.1:5000/team/app:v2'), '127.0.0.1:5000/team/app');
  assert.equal(repositoryOf('localhost/app'), 'localhost/app');
  assert.equal(repositoryOf('ghcr.io/org/app:1@sha256:abc'), 'ghcr.io/org/app');
});

test('a credential for a host serves every image on that host and port, not other ports or hosts', () => {
  const k = keyring({ '127.0.0.1:5000': user('a'), 'https://registry.example.com': user('b') });
  assert.deepEqual(k.lookup('127.0.0.1:5000/app:1'), [{ username: 'a', password: 'pw-a' }]);
  assert.deepEqual(k.lookup('127.0.0.1:5001/app:1'), []);
  assert.deepEqual(k.lookup('registry.example.com/x/y:2'), [{ username: 'b', password: 'pw-b' }]);
  assert.deepEqual(k.lookup('other.example.com/x/y:2'), []);
  assert.deepEqual(k.lookup('example.com/x'), []);
});

test('a path narrows a credential to repositories under it, the most specific first', () => {
  const k = keyring({ 'quay.io': user('host'), 'quay.io/team': user('team') });
  assert.deepEqual(k.lookup('quay.io/team/app').map((a) => a.username), ['team', 'host']);
  assert.deepEqual(k.lookup('quay.io/other/app').map((a) => a.username), ['host']);
});

test('Docker Hub credentials match under any of their names', () => {
  for (const key of ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io']) {
    const k = keyring({ [key]: user('hub') });
    assert.deepEqual(k.lookup('busybox:1.36').map((a) => a.username), ['hub'], key);
    assert.deepEqual(k.lookup('docker.io/me/app').map((a) => a.username), ['hub'], key);
    assert.deepEqual(k.lookup('ghcr.io/me/app'), [], key);
  }
});

test('a glob in a host part matches one part, as kubelet’s filepath.Match does', () => {
  const k = keyring({ '*.example.com': user('glob') });
  assert.deepEqual(k.lookup('eu.example.com/app').map((a) => a.username), ['glob']);
  assert.deepEqual(k.lookup('a.eu.example.com/app'), []);
});

test('username and password are read as they are, or from auth when it is set', () => {
  const k = keyring({ 'r.example.com': { username: 'plain', password: 'secret' } });
  assert.deepEqual(k.lookup('r.example.com/app'), [{ username: 'plain', password: 'secret' }]);
  const withColon = keyring({ 'r.example.com': { auth: b64('u:pa:ss') } });
  assert.deepEqual(withColon.lookup('r.example.com/app'), [{ username: 'u', password: 'pa:ss' }]);
});

test('a dockercfg Secret lists its entries without "auths"; other Secret types give nothing', () => {
  const cfg: Secret = { metadata: { namespace: 'default', name: 'old' }, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'r.example.com': user('old') })) } };
  assert.deepEqual(secretCredentials(cfg), [{ key: 'r.example.com', auth: { username: 'old', password: 'pw-old' } }]);
  const opaque: Secret = { metadata: { namespace: 'default', name: 'o' }, type: 'Opaque', data: { '.dockerconfigjson': b64('{"auths":{"x":{}}}') } };
  assert.deepEqual(secretCredentials(opaque), []);
});

test('a malformed docker config fails with the Secret’s name and never its content', () => {
  const bad: Secret = { metadata: { namespace: 'default', name: 'broken' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{"auths": hunter2') } };
  assert.throws(() => secretCredentials(bad), (err: Error) => err.message.includes('default/broken') && !err.message.includes('hunter2'));
  const badAuth = dockerConfigJson({ 'r.example.com': { auth: b64('no-colon-hunter2') } }, 'bad-auth');
  assert.throws(() => secretCredentials(badAuth), (err: Error) => err.message.includes('default/bad-auth') && !err.message.includes('hunter2'));
});
