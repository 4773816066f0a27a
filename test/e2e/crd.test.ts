// CustomResourceDefinitions with the real kubectl binaries, oldest, middle
// and newest supported, against a real `bramble server`: what installing an
// operator or a Helm chart with CRDs does.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.30', '1.33'];

// The classic example of the Kubernetes documentation, with an older version still served.
const crontabVersion = (name: string, storage: boolean) => `  - name: ${name}
    served: true
    storage: ${storage}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: What the cron tab runs, and when.
            properties:
              cronSpec:
                type: string
                description: When, in cron syntax.
              image:
                type: string
              replicas:
                type: integer
    additionalPrinterColumns:
    - name: Spec
      type: string
      description: The cron spec defining the interval a CronJob is run
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      description: The number of jobs launched by the CronJob
      jsonPath: .spec.replicas
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
  versions:
${crontabVersion('v1', true)}${crontabVersion('v1beta1', false)}`;

const cronTab = (name: string, extra = '') => `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: ${name}
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
  replicas: 3
${extra}`;

for (const version of VERSIONS) {
  test(`kubectl ${version}: apply a CRD, use its kind at once, print, explain, validate, delete it with its objects`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    const { ok } = k;

    // The very next command may use the new kind: the CRD is served before it is even waited for.
    assert.equal(await ok(['apply', '-f', '-'], CRD), 'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created\n');
    assert.equal(await ok(['apply', '-f', '-'], cronTab('my-new-cron-object')), 'crontab.stable.example.com/my-new-cron-object created\n');
    assert.equal(
      await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/crontabs.stable.example.com']),
      'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com condition met\n',
    );
    assert.equal(await ok(['apply', '-f', '-'], CRD), 'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com unchanged\n');
    assert.match(await ok(['get', 'crds']), /^NAME\s+CREATED AT\ncrontabs\.stable\.example\.com\s+\d{4}-\d\d-\d\dT/);

    // Printer columns, the short name, and objects read through either version.
    assert.match(await ok(['get', 'crontabs']), /^NAME\s+SPEC\s+REPLICAS\s+AGE\nmy-new-cron-object\s+\* \* \* \* \*\/5\s+3\s+\d+s\n$/);
    const yaml = await ok(['get', 'ct', 'my-new-cron-object', '-o', 'yaml']);
    assert.match(yaml, /^apiVersion: stable\.example\.com\/v1\nkind: CronTab\n/);
    assert.match(yaml, /cronSpec: '\* \* \* \* \*\/5'/);
    assert.match(yaml, /namespace: default/);
    assert.equal(await ok(['get', 'crontabs.v1beta1.stable.example.com', 'my-new-cron-object', '-o', 'jsonpath={.apiVersion} {.spec.replicas}']), 'stable.example.com/v1beta1 3');
    assert.equal(await ok(['patch', 'ct', 'my-new-cron-object', '--type', 'merge', '-p', '{"spec":{"replicas":4}}']), 'crontab.stable.example.com/my-new-cron-object patched\n');
    assert.equal(await ok(['apply', '-f', '-'], cronTab('my-new-cron-object')), 'crontab.stable.example.com/my-new-cron-object configured\n');

    // explain reads the CRD's schema.
    const explained = await ok(['explain', 'crontab.spec']);
    assert.match(explained, /KIND:\s+CronTab/);
    assert.match(explained, /VERSION:\s+(stable\.example\.com\/)?v1/);
    assert.match(explained, /FIELD:\s+spec\s+<Object>/);
    assert.match(explained, /What the cron tab runs, and when\./);
    assert.match(explained, /cronSpec\s+<string>\n\s+When, in cron syntax\./);
    assert.match(explained, /replicas\s+<integer>/);

    // kubectl validates strictly by default, and the server knows the schema's fields.
    const typo = await k.run(['apply', '-f', '-'], { stdin: cronTab('typo', '  replicaz: 1\n') });
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /unknown field "spec\.replicaz"/);
    assert.match((await k.run(['get', 'ct', 'typo'])).stderr, /NotFound/);

    // Deleting the CRD deletes its objects: a new CRD of that name starts empty.
    assert.equal(await ok(['delete', 'crd', 'crontabs.stable.example.com']), 'customresourcedefinition.apiextensions.k8s.io "crontabs.stable.example.com" deleted\n');
    const gone = await k.run(['get', 'crontabs']);
    assert.equal(gone.code, 1);
    await ok(['apply', '-f', '-'], CRD);
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/crontabs.stable.example.com']);
    const after = await k.run(['get', 'crontabs', '-A']);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout, '');
    assert.match(after.stderr, /No resources found/);
  });
}
