// A CRD's schema enforced on its custom resources, with the real kubectl
// against a real `bramble server`, as an operator's users meet it: a bad
// object refused with upstream's field errors, defaults filled in, unknown
// fields dropped when kubectl does not validate them itself.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.33'];

/** A namespaced example.com/v1 CRD whose spec has the schema given (YAML, indented for its place). */
const definition = (kind: string, specSchema: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${kind.toLowerCase()}s.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: ${kind.toLowerCase()}s
    singular: ${kind.toLowerCase()}
    kind: ${kind}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
${specSchema}`;

const object = (kind: string, name: string, spec: string) => `apiVersion: example.com/v1
kind: ${kind}
metadata:
  name: ${name}
spec:
${spec}`;

const CRD = definition(
  'Widget',
  `            required: [size]
            properties:
              size:
                type: integer
                minimum: 1
              mode:
                type: string
                enum: [fast, slow]
                default: fast
              ports:
                type: array
                items:
                  type: object
                  properties:
                    port:
                      x-kubernetes-int-or-string: true
                    protocol:
                      type: string
                      default: TCP
`,
);

const widget = (name: string, spec: string) => object('Widget', name, spec);

for (const version of VERSIONS) {
  test(`kubectl ${version}: a custom resource breaking its schema is refused with upstream's errors; defaults are filled in`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    await k.ok(['apply', '-f', '-'], CRD);
    await k.ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/widgets.example.com']);

    const bad = await k.run(['apply', '-f', '-'], { stdin: widget('bad', '  size: "big"\n  mode: turbo\n') });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /The Widget "bad" is invalid: \n/);
    assert.match(bad.stderr, /\* spec\.size: Invalid value: "string": spec\.size in body must be of type integer: "string"\n/);
    assert.match(bad.stderr, /\* spec\.mode: Unsupported value: "turbo": supported values: "fast", "slow"\n/);

    const missing = await k.run(['create', '-f', '-'], { stdin: widget('missing', '  mode: slow\n') });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'The Widget "missing" is invalid: spec.size: Required value\n');
    assert.equal((await k.run(['get', 'widget', 'bad'])).code, 1);

    assert.equal(await k.ok(['apply', '-f', '-'], widget('good', '  size: 2\n  ports:\n  - port: 80\n  - port: http\n    protocol: UDP\n')), 'widget.example.com/good created\n');
    const yaml = await k.ok(['get', 'widget', 'good', '-o', 'yaml']);
    assert.match(yaml, /\n {2}mode: fast\n/);
    assert.match(yaml, /\n {2}- port: 80\n {4}protocol: TCP\n {2}- port: http\n {4}protocol: UDP\n/);

    // Bigger than allowed on update too.
    const shrunk = await k.run(['patch', 'widget', 'good', '--type', 'merge', '-p', '{"spec":{"size":0}}']);
    assert.equal(shrunk.code, 1);
    assert.match(shrunk.stderr, /spec\.size: Invalid value: 0: spec\.size in body should be greater than or equal to 1/);

    // Without kubectl's own validation (fieldValidation=Ignore) an unknown field is dropped, as upstream prunes it.
    await k.ok(['apply', '--validate=false', '-f', '-'], widget('loose', '  size: 1\n  colour: red\n'));
    assert.equal(await k.ok(['get', 'widget', 'loose', '-o', 'jsonpath={.spec}']), '{"mode":"fast","size":1}');
  });
}

const RULED_CRD = definition(
  'Gadget',
  `            x-kubernetes-validations:
            - rule: self.minReplicas <= self.replicas
              message: replicas must be at least minReplicas
            properties:
              replicas:
                type: integer
              minReplicas:
                type: integer
                default: 1
              zone:
                type: string
                x-kubernetes-validations:
                - rule: self == oldSelf
                  message: Value is immutable
`,
);

const gadget = (name: string, spec: string) => object('Gadget', name, spec);

for (const version of VERSIONS) {
  test(`kubectl ${version}: a custom resource breaking its CRD's CEL rules (x-kubernetes-validations) is refused with the rule's message`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    await k.ok(['apply', '-f', '-'], RULED_CRD);
    await k.ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/gadgets.example.com']);

    const bad = await k.run(['apply', '-f', '-'], { stdin: gadget('bad', '  replicas: 1\n  minReplicas: 3\n') });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'The Gadget "bad" is invalid: spec: Invalid value: "object": replicas must be at least minReplicas\n');
    assert.equal((await k.run(['get', 'gadget', 'bad'])).code, 1);

    // The default (minReplicas 1) is filled in before the rules run.
    assert.equal(await k.ok(['apply', '-f', '-'], gadget('good', '  replicas: 2\n  zone: a\n')), 'gadget.example.com/good created\n');
    const moved = await k.run(['patch', 'gadget', 'good', '--type', 'merge', '-p', '{"spec":{"zone":"b"}}']);
    assert.equal(moved.code, 1);
    assert.equal(moved.stderr, 'The Gadget "good" is invalid: spec.zone: Invalid value: "string": Value is immutable\n');
    assert.equal(await k.ok(['patch', 'gadget', 'good', '--type', 'merge', '-p', '{"spec":{"replicas":3}}']), 'gadget.example.com/good patched\n');
  });
}

test('kubectl 1.33: a CRD too big for client-side apply is refused as upstream refuses it (its last-applied annotation over 256 KiB), and applies server-side', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  await startServer(t, serverArgs(dataDir));
  const k = await kubectl(t, '1.33', join(dataDir, 'kubeconfig.yaml'));
  // 300 fields with 1 KB descriptions: about 300 KB of schema, as the large operator CRDs (Prometheus's) carry.
  const fields = Array.from({ length: 300 }, (_, i) => `              field${i}:\n                type: string\n                description: ${'d'.repeat(1000)}\n`).join('');
  const big = definition('Big', `            properties:\n${fields}`);
  const refused = await k.run(['apply', '-f', '-'], { stdin: big });
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr.trim(), 'The CustomResourceDefinition "bigs.example.com" is invalid: metadata.annotations: Too long: must have at most 262144 bytes');
  assert.equal((await k.run(['get', 'crd', 'bigs.example.com'])).code, 1, 'nothing was created');
  assert.equal(await k.ok(['apply', '--server-side', '-f', '-'], big), 'customresourcedefinition.apiextensions.k8s.io/bigs.example.com serverside-applied\n');
});
