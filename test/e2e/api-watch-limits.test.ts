// Watches cannot make the server's memory grow without bound: a client that
// stops reading is cut off once it is 1,000 events behind (it resumes from
// its last resourceVersion), and many idle watches cost little each.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, type Credentials, credentialsFrom } from '../helpers/api-client.js';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { tempDir } from '../helpers/temp.js';

const CM = '/api/v1/namespaces/default/configmaps';

function openWatch(creds: Credentials, agent: Agent, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(new URL(path, creds.server), { ca: creds.ca, cert: creds.cert, key: creds.key, agent }, resolve).on('error', reject).end();
  });
}

async function rssMb(pid: number): Promise<number> {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

async function fill(creds: Credentials, count: number, size: number, prefix: string): Promise<void> {
  const value = 'x'.repeat(size);
  for (let i = 0; i < count; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, (_, j) =>
        api(creds, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${prefix}-${i + j}` }, data: { v: value } }) }),
      ),
    );
  }
}

test('a watch whose client stops reading is ended, and the server stays small', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const server = await startServer(t, serverArgs(dataDir));
  const creds = await credentialsFrom(join(dataDir, 'kubeconfig.yaml'));
  const agent = new Agent({ keepAlive: false });
  t.after(() => agent.destroy());
  const list = (await api(creds, 'GET', CM)).json<{ metadata: { resourceVersion: string } }>();
  const res = await openWatch(creds, agent, `${CM}?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
  assert.equal(res.statusCode, 200);
  res.pause();
  const before = await rssMb(server.child.pid!);
  // 3,000 events of 8 KiB (24 MiB) that the client never reads.
  await fill(creds, 3000, 8192, 'slow');
  const after = await rssMb(server.child.pid!);
  assert.ok(after - before < 80, `the server grew ${Math.round(after - before)} MiB for one stuck watch`);

  // Reading now: what was buffered arrives, then the server's end of the stream, well short of 3,000 events.
  let events = 0;
  let partial = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    events += lines.length;
  });
  res.resume();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stuck watch was never ended (${events} events so far)`)), 20_000);
    res.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  assert.ok(events > 0 && events < 3000, `the stuck watch got ${events} events before it was ended`);
});

test('200 idle watches are cheap and each one still gets events', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const server = await startServer(t, serverArgs(dataDir));
  const creds = await credentialsFrom(join(dataDir, 'kubeconfig.yaml'));
  const agent = new Agent({ keepAlive: true, maxSockets: 500 });
  t.after(() => agent.destroy());
  const rv = (await api(creds, 'GET', CM)).json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
  const before = await rssMb(server.child.pid!);
  const watches = await Promise.all(Array.from({ length: 200 }, () => openWatch(creds, agent, `${CM}?watch=true&resourceVersion=${rv}`)));
  const after = await rssMb(server.child.pid!);
  const perWatchKb = ((after - before) * 1024) / 200;
  assert.ok(perWatchKb < 300, `${Math.round(perWatchKb)} KiB per idle watch`);
  const seen = watches.map(
    (res) =>
      new Promise<void>((resolve) => {
        res.setEncoding('utf8').on('data', (chunk: string) => {
          if (chunk.includes('"name":"ping"')) resolve();
        });
      }),
  );
  await api(creds, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ping' } }) });
  await Promise.all(seen);
  for (const res of watches) res.destroy();
});
