// pods/proxy and services/proxy end to end: a real `bramble server`, a real
// `bramble agent` on a real containerd, a pod running busybox's httpd and a
// Service selecting it (the endpoints controller fills its Endpoints), and
// the real kubectl: `get --raw` through the pod and the service (1.27 and
// 1.33), httpd's 404 and a closed port as upstream shows them, and
// `kubectl proxy`, the way home-lab users open a dashboard, with the page's
// links rewritten to come back through it.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { test } from 'node:test';
import { kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';
const VERSIONS = ['1.27', '1.33'] as const;
const PODS = '/api/v1/namespaces/default/pods';
const SERVICES = '/api/v1/namespaces/default/services';

const WEB = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'httpd',
            image: publicImage('busybox:1.36'),
            command: ['sh', '-c', 'mkdir -p /www && echo proxied-file > /www/file.txt && echo \'<a href="/file.txt">file</a>\' > /www/index.html && exec httpd -f -p 8080 -h /www'],
            ports: [{ name: 'http', containerPort: 8080 }],
          },
        ],
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
  ],
};

/** A plain GET on kubectl proxy's port: status, Location and body. */
function fetchLocal(port: number, path: string): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, ...(res.headers.location === undefined ? {} : { location: res.headers.location }), body }));
    }).on('error', reject);
  });
}

test('kubectl get --raw through pods/NAME:PORT/proxy and services/NAME:PORT/proxy, and kubectl proxy, reach httpd in a pod on a real agent', async (t) => {
  const node = await startPodNode(t, NODE);
  const c = node.cluster;
  const applied = await c.k.run(['apply', '-f', '-'], { stdin: JSON.stringify(WEB) });
  assert.equal(applied.code, 0, applied.stderr);
  let ip = '';
  await until(
    async () => {
      ip = (await c.k.run(['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}'])).stdout;
      const ready = (await c.k.run(['get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])).stdout;
      return ip !== '' && ready === ip;
    },
    'pod web Running and ready in the endpoints of service web',
    30_000,
  );

  for (const v of VERSIONS) {
    const k = v === '1.33' ? c.k : await kubectl(t, v, c.kubeconfig);
    const raw = (path: string) => k.run(['get', '--raw', path]);
    for (const path of [`${PODS}/web:8080/proxy/file.txt`, `${PODS}/web/proxy/file.txt`, `${SERVICES}/web:http/proxy/file.txt`, `${SERVICES}/http:web:80/proxy/file.txt`]) {
      const r = await raw(path);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'proxied-file\n', ''], `kubectl ${v} get --raw ${path}`);
    }
    // httpd's own 404, which kubectl reports as a NotFound.
    const missing = await raw(`${PODS}/web:8080/proxy/missing.txt`);
    assert.equal(missing.code, 1, `kubectl ${v}`);
    assert.match(missing.stderr, /Error from server \(NotFound\)/, `kubectl ${v}`);
    // Nothing listens on 8081 in the pod: the node's refusal, worded as upstream's dial of the pod's IP.
    const closed = await raw(`${PODS}/web:8081/proxy/`);
    assert.equal(closed.code, 1, `kubectl ${v}`);
    assert.match(closed.stderr, new RegExp(`error trying to reach service: dial tcp ${ip.replaceAll('.', '\\.')}:8081: connect: connection refused`), `kubectl ${v}: ${closed.stderr}`);
  }

  // kubectl proxy, the dashboard path: http://127.0.0.1:PORT/api/v1/namespaces/NS/services/NAME:PORT/proxy/
  const proxy = c.k.stream(['proxy', '--port=0']);
  const line = await proxy.waitFor(/^Starting to serve on 127\.0\.0\.1:\d+$/);
  t.after(() => proxy.stop());
  const port = Number(/:(\d+)$/.exec(line)![1]);
  const base = `${SERVICES}/web:http/proxy`;
  const bare = await fetchLocal(port, base);
  assert.deepEqual([bare.status, bare.location], [301, `${base}/`]);
  const page = await fetchLocal(port, `${base}/`);
  assert.deepEqual([page.status, page.body], [200, `<a href="${base}/file.txt">file</a>\n`]);
  assert.deepEqual(await fetchLocal(port, `${base}/file.txt`), { status: 200, body: 'proxied-file\n' });
  assert.equal((await fetchLocal(port, `${PODS}/web:8080/proxy/missing.txt`)).status, 404);
  proxy.stop();
});
