import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  PatchError,
  strategicSchema,
  supportsStrategicMerge,
} from '../../server/api/patch/index.js';

/** Frozen all the way down: a patch function that mutated its input would throw. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

const json = (text: string): unknown => frozen(JSON.parse(text));

const POD = { group: '', version: 'v1', kind: 'Pod' };
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const SERVICE = { group: '', version: 'v1', kind: 'Service' };
const NODE = { group: '', version: 'v1', kind: 'Node' };

const smp = (doc: unknown, patch: unknown, kind = DEPLOYMENT): unknown => applyStrategicMergePatch(frozen(doc), frozen(patch), kind);

function deployment(podSpec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: podSpec },
      ...extra,
    },
  };
}

const containersOf = (obj: unknown): unknown => (obj as { spec: { template: { spec: { containers: unknown } } } }).spec.template.spec.containers;

describe('JSON patch (RFC 6902 appendix A)', () => {
  const cases: [string, string, string, string][] = [
    ['A.1 adding an object member', '{"foo":"bar"}', '[{"op":"add","path":"/baz","value":"qux"}]', '{"baz":"qux","foo":"bar"}'],
    ['A.2 adding an array element', '{"foo":["bar","baz"]}', '[{"op":"add","path":"/foo/1","value":"qux"}]', '{"foo":["bar","qux","baz"]}'],
    ['A.3 removing an object member', '{"baz":"qux","foo":"bar"}', '[{"op":"remove","path":"/baz"}]', '{"foo":"bar"}'],
    ['A.4 removing an array element', '{"foo":["bar","qux","baz"]}', '[{"op":"remove","path":"/foo/1"}]', '{"foo":["bar","baz"]}'],
    ['A.5 replacing a value', '{"baz":"qux","foo":"bar"}', '[{"op":"replace","path":"/baz","value":"boo"}]', '{"baz":"boo","foo":"bar"}'],
    [
      'A.6 moving a value',
      '{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}',
      '[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]',
      '{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}',
    ],
    [
      'A.7 moving an array element',
      '{"foo":["all","grass","cows","eat"]}',
      '[{"op":"move","from":"/foo/1","path":"/foo/3"}]',
      '{"foo":["all","cows","eat","grass"]}',
    ],
    [
      'A.8 testing a value: success',
      '{"baz":"qux","foo":["a",2,"c"]}',
      '[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]',
      '{"baz":"qux","foo":["a",2,"c"]}',
    ],
    ['A.10 adding a nested member object', '{"foo":"bar"}', '[{"op":"add","path":"/child","value":{"grandchild":{}}}]', '{"foo":"bar","child":{"grandchild":{}}}'],
    ['A.11 ignoring unrecognized elements', '{"foo":"bar"}', '[{"op":"add","path":"/baz","value":"qux","xyz":123}]', '{"foo":"bar","baz":"qux"}'],
    ['A.14 ~ escape ordering', '{"/":9,"~1":10}', '[{"op":"test","path":"/~01","value":10}]', '{"/":9,"~1":10}'],
    ['A.16 adding an array value', '{"foo":["bar"]}', '[{"op":"add","path":"/foo/-","value":["abc","def"]}]', '{"foo":["bar",["abc","def"]]}'],
  ];
  for (const [name, doc, patch, expected] of cases) {
    test(name, () => assert.deepEqual(applyJsonPatch(json(doc), json(patch)), JSON.parse(expected)));
  }

  test('A.9 testing a value: error', () => {
    assert.throws(() => applyJsonPatch(json('{"baz":"qux"}'), json('[{"op":"test","path":"/baz","value":"bar"}]')), {
      name: 'PatchError',
      message: /^the "test" operation failed at \/baz/,
    });
  });

  test('A.12 adding to a nonexistent target', () => {
    assert.throws(() => applyJsonPatch(json('{"foo":"bar"}'), json('[{"op":"add","path":"/baz/bat","value":"qux"}]')), {
      message: 'the "add" operation failed at /baz/bat: member "baz" does not exist',
    });
  });

  test('A.15 comparing strings and numbers', () => {
    assert.throws(() => applyJsonPatch(json('{"/":9,"~1":10}'), json('[{"op":"test","path":"/~01","value":"10"}]')), PatchError);
  });
});

describe('JSON patch rules', () => {
  const doc = json('{"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"a"}]}}},"metadata":{"annotations":{"x":"1"}}}');

  test('a failing test names the path, and nothing is applied', () => {
    const ops = json('[{"op":"replace","path":"/spec/replicas","value":5},{"op":"test","path":"/spec/replicas","value":3}]');
    assert.throws(() => applyJsonPatch(doc, ops), { message: /^the "test" operation failed at \/spec\/replicas/ });
    assert.equal((doc as { spec: { replicas: number } }).spec.replicas, 3);
  });

  test('kubectl rollout undo: replace /spec/template and /metadata/annotations', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'old' }] } };
    const out = applyJsonPatch(
      doc,
      frozen([
        { op: 'replace', path: '/spec/template', value: template },
        { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '1' } },
      ]),
    );
    assert.deepEqual(out, { spec: { replicas: 3, template }, metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } } });
  });

  test('add and replace at the root replace the document; remove and test work on array items', () => {
    assert.deepEqual(applyJsonPatch(doc, json('[{"op":"add","path":"","value":[1]}]')), [1]);
    assert.deepEqual(applyJsonPatch(doc, json('[{"op":"replace","path":"","value":{"a":1}}]')), { a: 1 });
    const ops = json('[{"op":"test","path":"/spec/template/spec/containers/0/name","value":"a"},{"op":"remove","path":"/spec/template/spec/containers/0"}]');
    assert.deepEqual((applyJsonPatch(doc, ops) as { spec: { template: unknown } }).spec.template, { spec: { containers: [] } });
  });

  test('copy copies, and test compares objects whatever their member order', () => {
    const out = applyJsonPatch(doc, json('[{"op":"copy","from":"/metadata","path":"/copy"},{"op":"test","path":"/copy","value":{"annotations":{"x":"1"}}}]'));
    assert.deepEqual((out as { copy: unknown }).copy, { annotations: { x: '1' } });
    assert.deepEqual(applyJsonPatch(json('{"a":{"x":1,"y":2}}'), json('[{"op":"test","path":"/a","value":{"y":2,"x":1}}]')), { a: { x: 1, y: 2 } });
  });

  test('malformed patches are PatchErrors', () => {
    const bad: [string, RegExp][] = [
      ['{"op":"add"}', /must be an array/],
      ['[1]', /operation 0 is not a JSON object/],
      ['[{"path":"/a","value":1}]', /operation 0 has no valid "op"/],
      ['[{"op":"frobnicate","path":"/a"}]', /operation 0 has no valid "op"/],
      ['[{"op":"add","value":1}]', /operation 0 \("add"\) has no "path"/],
      ['[{"op":"add","path":"/a"}]', /operation 0 \("add"\) has no "value"/],
      ['[{"op":"move","path":"/a"}]', /operation 0 \("move"\) has no "from"/],
      ['[{"op":"add","path":"a","value":1}]', /invalid JSON pointer "a"/],
      ['[{"op":"add","path":"/a~2","value":1}]', /invalid JSON pointer/],
      ['[{"op":"remove","path":"/nope"}]', /the "remove" operation failed at \/nope: member "nope" does not exist/],
      ['[{"op":"replace","path":"/nope","value":1}]', /the "replace" operation failed at \/nope/],
      ['[{"op":"add","path":"/spec/template/spec/containers/2","value":1}]', /index 2 is out of range/],
      ['[{"op":"add","path":"/spec/template/spec/containers/01","value":1}]', /"01" is not an array index/],
      ['[{"op":"remove","path":"/spec/template/spec/containers/-"}]', /"-" is not an array index/],
      ['[{"op":"move","from":"/spec","path":"/spec/x"}]', /cannot be moved into one of its own children/],
      ['[{"op":"remove","path":""}]', /the whole document cannot be removed/],
      ['[{"op":"add","path":"/spec/replicas/x","value":1}]', /not an object or an array/],
    ];
    for (const [ops, message] of bad) assert.throws(() => applyJsonPatch(doc, json(ops)), { name: 'PatchError', message }, ops);
  });

  test('"__proto__" is an ordinary member', () => {
    const out = applyJsonPatch(json('{}'), json('[{"op":"add","path":"/__proto__","value":{"polluted":true}}]')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('JSON merge patch (RFC 7386 appendix A)', () => {
  const cases: [string, string, string][] = [
    ['{"a":"b"}', '{"a":"c"}', '{"a":"c"}'],
    ['{"a":"b"}', '{"b":"c"}', '{"a":"b","b":"c"}'],
    ['{"a":"b"}', '{"a":null}', '{}'],
    ['{"a":"b","b":"c"}', '{"a":null}', '{"b":"c"}'],
    ['{"a":["b"]}', '{"a":"c"}', '{"a":"c"}'],
    ['{"a":"c"}', '{"a":["b"]}', '{"a":["b"]}'],
    ['{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', '{"a":{"b":"d"}}'],
    ['{"a":[{"b":"c"}]}', '{"a":[1]}', '{"a":[1]}'],
    ['["a","b"]', '["c","d"]', '["c","d"]'],
    ['{"a":"b"}', '["c"]', '["c"]'],
    ['{"a":"foo"}', 'null', 'null'],
    ['{"a":"foo"}', '"bar"', '"bar"'],
    ['{"e":null}', '{"a":1}', '{"e":null,"a":1}'],
    ['[1,2]', '{"a":"b","c":null}', '{"a":"b"}'],
    ['{}', '{"a":{"bb":{"ccc":null}}}', '{"a":{"bb":{}}}'],
  ];
  for (const [doc, patch, expected] of cases) {
    test(`${doc} + ${patch}`, () => assert.deepEqual(applyMergePatch(json(doc), json(patch)), JSON.parse(expected)));
  }

  test('kubectl label and scale', () => {
    const doc = deployment({ containers: [{ name: 'a' }] });
    const labelled = applyMergePatch(frozen(doc), json('{"metadata":{"labels":{"app":null,"tier":"front"}}}')) as { metadata: unknown };
    assert.deepEqual(labelled.metadata, { name: 'web', namespace: 'default', labels: { tier: 'front' } });
    const scaled = applyMergePatch(frozen(doc), json('{"spec":{"replicas":5}}')) as { spec: { replicas: number; template: unknown } };
    assert.equal(scaled.spec.replicas, 5);
    assert.deepEqual(scaled.spec.template, (doc.spec as { template: unknown }).template);
  });
});

describe('strategic merge patch: metadata from the OpenAPI schemas', () => {
  /** The patch metadata at a path of field names (a map's keys are any names). */
  const at = (kind: { group: string; version: string; kind: string }, path: string) => {
    let node = strategicSchema(kind);
    for (const name of path.split('.')) node = node?.fields.get(name) ?? node?.values;
    return node?.meta;
  };

  test('built-in kinds are supported, custom resources are not', () => {
    assert.ok(supportsStrategicMerge(POD));
    assert.ok(supportsStrategicMerge(DEPLOYMENT));
    assert.ok(supportsStrategicMerge({ group: '', version: 'v1', kind: 'ConfigMap' }));
    assert.ok(supportsStrategicMerge({ group: 'resource.k8s.io', version: 'v1alpha2', kind: 'ResourceClaim' }));
    assert.ok(!supportsStrategicMerge({ group: 'example.com', version: 'v1', kind: 'Widget' }));
    // A version the generated schemas do not have is not built in.
    assert.ok(!supportsStrategicMerge({ group: 'apps', version: 'v1beta1', kind: 'Deployment' }));
    assert.throws(() => applyStrategicMergePatch({}, {}, { group: 'example.com', version: 'v1', kind: 'Widget' }), {
      name: 'PatchError',
      message: 'strategic merge patch format is not supported for Widget',
    });
  });

  test('fields carry upstream strategies and merge keys, in every pod template', () => {
    const cronJob = { group: 'batch', version: 'v1', kind: 'CronJob' };
    assert.deepEqual(at(cronJob, 'spec.jobTemplate.spec.template.spec.containers'), { strategy: 'merge', mergeKey: 'name' });
    assert.deepEqual(at(cronJob, 'spec.jobTemplate.spec.template.spec.initContainers.env'), { strategy: 'merge', mergeKey: 'name' });
    for (const kind of ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']) {
      const k = { group: 'apps', version: 'v1', kind };
      assert.deepEqual(at(k, 'spec.template.spec.volumes'), { strategy: 'merge,retainKeys', mergeKey: 'name' }, kind);
      assert.deepEqual(at(k, 'spec.template.spec.containers.ports'), { strategy: 'merge', mergeKey: 'containerPort' }, kind);
    }
    assert.deepEqual(at(DEPLOYMENT, 'spec.strategy'), { strategy: 'retainKeys' });
    assert.deepEqual(at(POD, 'spec.ephemeralContainers.volumeMounts'), { strategy: 'merge', mergeKey: 'mountPath' });
    assert.deepEqual(at(POD, 'spec.containers.volumeDevices'), { strategy: 'merge', mergeKey: 'devicePath' });
    assert.deepEqual(at(POD, 'spec.imagePullSecrets'), { strategy: 'merge', mergeKey: 'name' });
    assert.deepEqual(at(POD, 'spec.hostAliases'), { strategy: 'merge', mergeKey: 'ip' });
    assert.deepEqual(at(POD, 'spec.topologySpreadConstraints'), { strategy: 'merge', mergeKey: 'topologyKey' });
    assert.deepEqual(at(POD, 'status.podIPs'), { strategy: 'merge', mergeKey: 'ip' });
    assert.deepEqual(at(POD, 'status.hostIPs'), { strategy: 'merge', mergeKey: 'ip' });
    assert.deepEqual(at(SERVICE, 'spec.ports'), { strategy: 'merge', mergeKey: 'port' });
    assert.deepEqual(at(NODE, 'status.addresses'), { strategy: 'merge', mergeKey: 'type' });
    assert.deepEqual(at({ group: 'batch', version: 'v1', kind: 'Job' }, 'status.conditions'), { strategy: 'merge', mergeKey: 'type' });
    assert.deepEqual(at({ group: '', version: 'v1', kind: 'Secret' }, 'metadata.ownerReferences'), { strategy: 'merge', mergeKey: 'uid' });
    assert.deepEqual(at({ group: '', version: 'v1', kind: 'Secret' }, 'metadata.finalizers'), { strategy: 'merge' });
    assert.equal(at(POD, 'spec.tolerations'), undefined);
    assert.equal(at(POD, 'spec.containers.args'), undefined);
  });

  test('every field upstream tags, wherever its type is used', () => {
    assert.deepEqual(at(POD, 'spec.schedulingGates'), { strategy: 'merge', mergeKey: 'name' });
    assert.deepEqual(at(DEPLOYMENT, 'spec.template.spec.resourceClaims'), { strategy: 'merge,retainKeys', mergeKey: 'name' });
    assert.deepEqual(at(POD, 'status.containerStatuses.volumeMounts'), { strategy: 'merge', mergeKey: 'mountPath' });
    assert.deepEqual(at(POD, 'status.resourceClaimStatuses'), { strategy: 'merge,retainKeys', mergeKey: 'name' });
    assert.deepEqual(at({ group: '', version: 'v1', kind: 'ServiceAccount' }, 'secrets'), { strategy: 'merge', mergeKey: 'name' });
    assert.deepEqual(at(NODE, 'spec.podCIDRs'), { strategy: 'merge' });
    assert.deepEqual(at({ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' }, 'spec.selector'), { strategy: 'replace' });
    assert.deepEqual(at({ group: 'apps', version: 'v1', kind: 'StatefulSet' }, 'spec.volumeClaimTemplates.metadata.finalizers'), { strategy: 'merge' });
    assert.deepEqual(at({ group: 'resource.k8s.io', version: 'v1alpha2', kind: 'ResourceClaim' }, 'status.reservedFor'), { strategy: 'merge', mergeKey: 'uid' });
    // Through lists, maps (additionalProperties) and the recursive JSONSchemaProps.
    const crd = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' };
    assert.deepEqual(at(crd, 'spec.versions.schema.openAPIV3Schema.properties.spec.properties.replicas.x-kubernetes-validations'), {
      strategy: 'merge',
      mergeKey: 'rule',
    });
    assert.equal(at(crd, 'spec.versions.schema.openAPIV3Schema.properties.spec.required'), undefined);
  });

  test('status conditions merge by type only where upstream tags them', () => {
    for (const [group, kind] of [['', 'Namespace'], ['', 'PersistentVolumeClaim'], ['apps', 'StatefulSet'], ['flowcontrol.apiserver.k8s.io', 'FlowSchema']] as const) {
      assert.deepEqual(at({ group, version: 'v1', kind }, 'status.conditions'), { strategy: 'merge', mergeKey: 'type' }, kind);
    }
    assert.deepEqual(at({ group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' }, 'status.conditions'), { strategy: 'merge', mergeKey: 'type' });
    assert.deepEqual(at({ group: '', version: 'v1', kind: 'ComponentStatus' }, 'conditions'), { strategy: 'merge', mergeKey: 'type' });
    for (const [group, kind] of [
      ['certificates.k8s.io', 'CertificateSigningRequest'],
      ['apiextensions.k8s.io', 'CustomResourceDefinition'],
      ['admissionregistration.k8s.io', 'ValidatingAdmissionPolicy'],
    ] as const) {
      assert.equal(at({ group, version: 'v1', kind }, 'status.conditions'), undefined, kind);
    }
  });
});

describe('strategic merge patch: the guide cases', () => {
  const live = deployment({
    containers: [
      { name: 'web', image: 'nginx:1.26', env: [{ name: 'MODE', value: 'prod' }, { name: 'LEVEL', value: 'info' }], args: ['-a', '-b'] },
      { name: 'log', image: 'busybox' },
    ],
    tolerations: [{ key: 'a', operator: 'Exists' }],
  });

  test('merging a container by name keeps the others and their order', () => {
    const out = smp(live, { spec: { template: { spec: { containers: [{ name: 'log', image: 'busybox:2' }] } } } });
    assert.deepEqual(containersOf(out), [
      { name: 'web', image: 'nginx:1.26', env: [{ name: 'MODE', value: 'prod' }, { name: 'LEVEL', value: 'info' }], args: ['-a', '-b'] },
      { name: 'log', image: 'busybox:2' },
    ]);
  });

  test('changing one env var leaves the other', () => {
    const out = smp(live, { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'LEVEL', value: 'debug' }] }] } } } });
    const [web] = containersOf(out) as { env: unknown }[];
    assert.deepEqual(web?.env, [{ name: 'MODE', value: 'prod' }, { name: 'LEVEL', value: 'debug' }]);
  });

  test('a list item with "$patch": "delete" deletes the item with that key', () => {
    const out = smp(live, { spec: { template: { spec: { containers: [{ name: 'log', $patch: 'delete' }] } } } });
    assert.deepEqual((containersOf(out) as { name: string }[]).map((c) => c.name), ['web']);
  });

  test('lists without a merge key are replaced', () => {
    const out = smp(live, {
      spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'web', args: ['-c'] }] } } },
    }) as { spec: { template: { spec: { tolerations: unknown } } } };
    assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
    assert.deepEqual((containersOf(out) as { args?: unknown }[])[0]?.args, ['-c']);
  });

  test('finalizers are a set: union, and $deleteFromPrimitiveList removes', () => {
    const pod = { metadata: { name: 'p', finalizers: ['a', 'b'] } };
    const finalizers = (obj: unknown): unknown => (obj as { metadata: { finalizers: unknown } }).metadata.finalizers;
    // Upstream puts items the live list lacks before it, unless $setElementOrder says otherwise.
    assert.deepEqual(finalizers(smp(pod, { metadata: { finalizers: ['c'] } }, POD)), ['c', 'a', 'b']);
    assert.deepEqual(finalizers(smp(pod, { metadata: { finalizers: ['b', 'c'] } }, POD)), ['a', 'b', 'c']);
    assert.deepEqual(finalizers(smp(pod, { metadata: { finalizers: ['b', 'a'] } }, POD)), ['b', 'a']);
    assert.deepEqual(finalizers(smp(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a', 'x'] } }, POD)), ['b']);
    assert.deepEqual(
      finalizers(smp(pod, { metadata: { '$setElementOrder/finalizers': ['a', 'c'], finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['b'] } }, POD)),
      ['a', 'c'],
    );
    assert.deepEqual(finalizers(smp({ metadata: { name: 'p' } }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, POD)), undefined);
  });

  test('Service ports merge by port', () => {
    const svc = {
      spec: {
        type: 'ClusterIP',
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
        ],
      },
    };
    const out = smp(svc, { spec: { ports: [{ port: 443, targetPort: 9443 }] } }, SERVICE);
    assert.deepEqual(out, {
      spec: {
        type: 'ClusterIP',
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'https', port: 443, targetPort: 9443, protocol: 'TCP' },
        ],
      },
    });
  });

  test('$setElementOrder orders the list: directive first, server-only items kept in place', () => {
    const four = deployment({ containers: ['a', 'c', 'd', 'b', 'z'].map((name) => ({ name })) });
    const out = smp(four, {
      spec: { template: { spec: { '$setElementOrder/containers': ['d', 'b', 'c', 'a'].map((name) => ({ name })), containers: [{ name: 'a', image: 'x' }] } } },
    });
    assert.deepEqual(containersOf(out), [{ name: 'd' }, { name: 'b' }, { name: 'c' }, { name: 'a', image: 'x' }, { name: 'z' }]);
    const interleaved = deployment({ containers: ['a', 'b', 'y', 'c', 'd'].map((name) => ({ name })) });
    const out2 = smp(interleaved, { spec: { template: { spec: { '$setElementOrder/containers': ['b', 'a', 'd', 'c'].map((name) => ({ name })) } } } });
    assert.deepEqual((containersOf(out2) as { name: string }[]).map((c) => c.name), ['b', 'a', 'y', 'd', 'c']);
  });

  test('$setElementOrder must agree with the order of the patch list', () => {
    assert.throws(
      () =>
        smp(live, {
          spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'log' }], containers: [{ name: 'log' }, { name: 'web' }] } } },
        }),
      { name: 'PatchError', message: /doesn't match \$setElementOrder\/containers/ },
    );
  });

  test('$retainKeys on a volume clears the other volume source', () => {
    const withVolume = deployment({ containers: [{ name: 'web' }], volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] });
    const out = smp(withVolume, {
      spec: {
        template: {
          spec: {
            '$setElementOrder/volumes': [{ name: 'data' }, { name: 'cfg' }],
            volumes: [{ $retainKeys: ['hostPath', 'name'], name: 'data', hostPath: { path: '/srv' }, emptyDir: null }],
          },
        },
      },
    }) as { spec: { template: { spec: { volumes: unknown } } } };
    assert.deepEqual(out.spec.template.spec.volumes, [{ name: 'data', hostPath: { path: '/srv' } }, { name: 'cfg', configMap: { name: 'c' } }]);
    assert.throws(() => smp(withVolume, { spec: { template: { spec: { volumes: [{ $retainKeys: ['name'], name: 'data', hostPath: { path: '/x' } }] } } } }), {
      message: /retainKeys: "hostPath" is not in \$retainKeys/,
    });
  });

  test('$retainKeys on the Deployment strategy: switching to Recreate drops rollingUpdate', () => {
    const rolling = deployment({ containers: [{ name: 'web' }] }, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    const out = smp(rolling, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }) as { spec: { strategy: unknown } };
    assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  });
});

describe('strategic merge patch: directives', () => {
  const live = deployment(
    { nodeSelector: { disk: 'ssd', zone: 'a' }, containers: [{ name: 'web', image: 'nginx' }, { name: 'log', image: 'busybox' }] },
    { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } },
  );

  test('null deletes a field', () => {
    const out = smp(live, { metadata: { labels: { app: null, tier: 'front' } } }) as { metadata: unknown };
    assert.deepEqual(out.metadata, { name: 'web', namespace: 'default', labels: { tier: 'front' } });
  });

  test('"$patch": "replace" in a map replaces the map', () => {
    const out = smp(live, { spec: { template: { spec: { nodeSelector: { $patch: 'replace', arch: 'arm64' } } } } }) as {
      spec: { template: { spec: { nodeSelector: unknown } } };
    };
    assert.deepEqual(out.spec.template.spec.nodeSelector, { arch: 'arm64' });
  });

  test('"$patch": "delete" in a map deletes it', () => {
    const out = smp(live, { spec: { strategy: { rollingUpdate: { $patch: 'delete' } } } }) as { spec: { strategy: unknown } };
    assert.deepEqual(out.spec.strategy, { type: 'RollingUpdate' });
    assert.deepEqual(smp(live, { $patch: 'delete' }), {});
  });

  test('a {"$patch": "replace"} item makes the rest of the list the whole list', () => {
    const out = smp(live, { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } });
    assert.deepEqual(containersOf(out), [{ name: 'only', image: 'x' }]);
  });

  test('"$patch": "merge" is a struct-tag strategy upstream, not a patch directive', () => {
    assert.throws(() => smp(live, { spec: { template: { spec: { containers: [{ $patch: 'merge' }] } } } }), {
      message: 'merging lists cannot yet be specified in the patch',
    });
    assert.throws(() => smp(live, { spec: { strategy: { $patch: 'merge', type: 'Recreate' } } }), { message: /^unknown patch type: "merge"/ });
    assert.throws(() => smp(live, { spec: { template: { spec: { containers: [{ name: 'web', $patch: 'frob' }] } } } }), { message: /^unknown patch type: "frob"/ });
  });

  test('a list item without its merge key is rejected', () => {
    assert.throws(() => smp(live, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }), {
      name: 'PatchError',
      message: 'map: {"image":"x"} does not contain declared merge key: name',
    });
  });

  test('other malformed patches are rejected', () => {
    assert.throws(() => smp(live, []), { message: 'a strategic merge patch must be a JSON object' });
    assert.throws(() => smp(live, { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }), PatchError);
    assert.throws(() => smp(live, { spec: { '$setElementOrder/x': {} } }), PatchError);
    assert.throws(() => smp(live, { spec: { $setElementOrder: [] } }), { message: /must be "\$setElementOrder\/<field>"/ });
    assert.throws(() => smp(live, { spec: { template: { spec: { containers: [{ name: 'web' }, 'x'] } } } }), { message: /list element types are not identical/ });
  });

  test('values taken from the patch lose their nulls and directives', () => {
    const out = smp(live, {
      spec: { template: { spec: { containers: [{ name: 'new', image: 'x', env: [{ name: 'A', value: null }, { name: 'B', $patch: 'delete' }] }] } } },
      extra: { a: null, b: { $patch: 'delete' }, c: [{ $retainKeys: ['d'], d: 1 }] },
    }) as { extra: unknown };
    assert.deepEqual((containersOf(out) as unknown[])[0], { name: 'new', image: 'x', env: [{ name: 'A' }] });
    assert.deepEqual(out.extra, { c: [{ d: 1 }] });
  });

  test('a map field with the replace strategy is not merged (PodDisruptionBudget selector)', () => {
    const pdb = { spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } };
    const out = smp(pdb, { spec: { selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } } }, { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' });
    assert.deepEqual(out, { spec: { minAvailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } } });
    const explicit = smp(pdb, { spec: { selector: { $patch: 'replace', matchLabels: { app: 'db' } } } }, { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' });
    assert.deepEqual(explicit, { spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } } });
  });

  test('conditions, addresses, owner references merge by their keys', () => {
    const node = {
      metadata: { name: 'n1', ownerReferences: [{ uid: 'u1', name: 'a', kind: 'X', apiVersion: 'v1' }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'DiskPressure', status: 'False' },
        ],
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
      },
    };
    const out = smp(
      node,
      {
        metadata: { ownerReferences: [{ uid: 'u1', controller: true }] },
        status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletDown' }], addresses: [{ type: 'Hostname', address: 'n1' }] },
      },
      NODE,
    );
    assert.deepEqual(out, {
      metadata: { name: 'n1', ownerReferences: [{ uid: 'u1', name: 'a', kind: 'X', apiVersion: 'v1', controller: true }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'KubeletDown' },
          { type: 'DiskPressure', status: 'False' },
        ],
        addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.1' }],
      },
    });
  });

  test('condition lists upstream does not tag are replaced (CertificateSigningRequest)', () => {
    const csr = { spec: { signerName: 'example.com/x' }, status: { conditions: [{ type: 'Approved', status: 'True' }] } };
    const out = smp(csr, { status: { conditions: [{ type: 'Failed', status: 'True' }] } }, { group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest' });
    assert.deepEqual(out, { spec: { signerName: 'example.com/x' }, status: { conditions: [{ type: 'Failed', status: 'True' }] } });
  });

  test('the input objects are never changed, and results share nothing with them', () => {
    const doc = deployment({ containers: [{ name: 'web', env: [{ name: 'A', value: '1' }] }] });
    const before = JSON.stringify(doc);
    const out = applyStrategicMergePatch(doc, { spec: { replicas: 3 } }, DEPLOYMENT) as typeof doc;
    assert.equal(JSON.stringify(doc), before);
    assert.notEqual(containersOf(out), containersOf(doc));
  });
});

describe('strategic merge patch: what kubectl sends', () => {
  const lastApplied = (obj: unknown): string => `${JSON.stringify(obj)}\n`;
  const applied = deployment({ containers: [{ name: 'web', image: 'nginx:1.26', env: [{ name: 'MODE', value: 'prod' }] }, { name: 'log', image: 'busybox' }] });

  // The live object as the server keeps it: defaults filled in, a revision annotation added.
  const live = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web' },
      uid: '5b0c…',
      resourceVersion: '1042',
      annotations: { 'deployment.kubernetes.io/revision': '1', 'kubectl.kubernetes.io/last-applied-configuration': lastApplied(applied) },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.26', env: [{ name: 'MODE', value: 'prod' }], imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' },
            { name: 'log', image: 'busybox', imagePullPolicy: 'Always' },
          ],
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
        },
      },
    },
    status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
  };

  test('kubectl apply of a changed manifest: new image, one more env var', () => {
    const modified = deployment({
      containers: [{ name: 'web', image: 'nginx:1.27', env: [{ name: 'MODE', value: 'prod' }, { name: 'LEVEL', value: 'debug' }] }, { name: 'log', image: 'busybox' }],
    });
    // The three-way patch kubectl computes from last-applied, the manifest and the live object.
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied(modified) } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }, { name: 'log' }],
            containers: [{ '$setElementOrder/env': [{ name: 'MODE' }, { name: 'LEVEL' }], env: [{ name: 'LEVEL', value: 'debug' }], image: 'nginx:1.27', name: 'web' }],
          },
        },
      },
    };
    const out = smp(live, patch) as typeof live;
    assert.deepEqual(out.spec.template.spec.containers, [
      {
        name: 'web',
        image: 'nginx:1.27',
        env: [{ name: 'MODE', value: 'prod' }, { name: 'LEVEL', value: 'debug' }],
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
      },
      { name: 'log', image: 'busybox', imagePullPolicy: 'Always' },
    ]);
    assert.deepEqual(out.metadata.annotations, { 'deployment.kubernetes.io/revision': '1', 'kubectl.kubernetes.io/last-applied-configuration': lastApplied(modified) });
    assert.deepEqual({ ...out, metadata: live.metadata, spec: { ...out.spec, template: live.spec.template } }, live);
  });

  test('without $setElementOrder a new item goes first, as upstream', () => {
    const out = smp(live, { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'LEVEL', value: 'debug' }] }] } } } }) as typeof live;
    assert.deepEqual(out.spec.template.spec.containers[0]?.env, [{ name: 'LEVEL', value: 'debug' }, { name: 'MODE', value: 'prod' }]);
  });

  test('kubectl rollout restart', () => {
    const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-06-01T10:00:00Z' } } } } };
    const out = smp(live, patch) as typeof live;
    assert.deepEqual(out.spec.template.metadata, { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-06-01T10:00:00Z' } });
    assert.deepEqual(out.spec.template.spec, live.spec.template.spec);
  });

  test('kubectl set image and cordon', () => {
    const out = smp(live, { spec: { template: { spec: { containers: [{ image: 'busybox:1.37', name: 'log' }] } } } }) as typeof live;
    assert.deepEqual(out.spec.template.spec.containers.map((c) => c.image), ['nginx:1.26', 'busybox:1.37']);
    assert.deepEqual(smp({ metadata: { name: 'n1' }, spec: { podCIDR: '10.42.0.0/24' } }, { spec: { unschedulable: true } }, NODE), {
      metadata: { name: 'n1' },
      spec: { podCIDR: '10.42.0.0/24', unschedulable: true },
    });
  });

  test('pod templates nested in CronJobs merge containers by name too', () => {
    const cronJob = { spec: { schedule: '@hourly', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } } } } } };
    const out = smp(cronJob, { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'z' }] } } } } } }, {
      group: 'batch',
      version: 'v1',
      kind: 'CronJob',
    });
    assert.deepEqual(out, { spec: { schedule: '@hourly', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'z' }] } } } } } });
  });
});
