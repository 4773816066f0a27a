// Ingresses as users write them for the cluster's ingress controller, with
// the real kubectl: a good one is stored and printed, a bad one refused with
// upstream's messages and nothing stored.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const ingress = (name: string, host: string, path: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
spec:
  ingressClassName: traefik
  rules:
  - host: ${host}
    http:
      paths:
      - path: ${path}
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
  tls:
  - hosts: [${host}]
    secretName: web-tls
`;

for (const version of ['1.27', '1.33']) {
  test(`kubectl ${version}: an Ingress is stored and printed; a bad host or path is refused with upstream's messages`, async (t) => {
    const dataDir = join(await tempDir(t), 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    assert.equal(await k.ok(['apply', '-f', '-'], ingress('web', 'web.example.com', '/')), 'ingress.networking.k8s.io/web created\n');
    assert.match(await k.ok(['get', 'ingress', 'web']), /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nweb\s+traefik\s+web\.example\.com\s+80, 443\s+\d+s\n$/);

    const refused = await k.run(['apply', '-f', '-'], { stdin: ingress('bad', 'Web_Host', '/a//b') });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^The Ingress "bad" is invalid: \n/);
    assert.match(refused.stderr, /\* spec\.rules\[0\]\.host: Invalid value: "Web_Host": a lowercase RFC 1123 subdomain must consist of/);
    assert.match(refused.stderr, /\* spec\.rules\[0\]\.http\.paths\[0\]\.path: Invalid value: "\/a\/\/b": must not contain '\/\/'/);
    assert.match(refused.stderr, /\* spec\.tls\[0\]\.hosts\[0\]: Invalid value: "Web_Host"/);
    assert.match((await k.run(['get', 'ingress', 'bad'])).stderr, /NotFound/);
  });
}
