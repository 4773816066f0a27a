import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Root, Writer } from 'protobufjs';
import { PROTO_ROOT } from '../../common/proto.js';
import { decodeProtobufObject, ProtobufDecodeError } from '../../server/api/protobuf/decode.js';

/**
 * Bodies captured from kubectl 1.33.1 and 1.32.5 (byte-identical) against a
 * recording server; <name>.json is what `kubectl create … --dry-run=client -o json`
 * printed for the same command, or, for `create token` and `auth can-i` (no
 * dry-run), the JSON body kubectl 1.31 sent for it. job-from-cronjob copied
 * the template of a CronJob the recording server served with many pod fields set.
 * The autoscale bodies are kubectl 1.33.1's, read from its -v=8 hex dump: the
 * autoscaling/v2 attempt and the autoscaling/v1 one it falls back to; their
 * v1 JSON is the body kubectl 1.30 sent for the same command.
 */
const FIXTURES = fileURLToPath(new URL('../../../test/api/fixtures/protobuf/', import.meta.url));

const CASES: Readonly<Record<string, string>> = {
  namespace: 'create namespace demo',
  configmap: 'create configmap cfg --from-literal a=b --from-literal c=d',
  'configmap-binary': 'create configmap bin --from-file blob=<non-UTF-8 file> --from-literal text=hi',
  'secret-generic': 'create secret generic sec --from-literal user=admin --from-literal pass=s3cr3t',
  'secret-tls': 'create secret tls tls --cert tls.crt --key tls.key (a throwaway self-signed EC pair)',
  'secret-docker-registry':
    'create secret docker-registry reg --docker-server registry.example.com --docker-username me --docker-password pw --docker-email me@example.com',
  deployment: 'create deployment web --image nginx --replicas 3 --port 80',
  'deployment-zero': 'create deployment idle --image nginx --replicas 0',
  'deployment-cmd': 'create deployment cmd --image busybox -- sleep 3600',
  'service-clusterip': 'create service clusterip web --tcp 80:8080',
  'service-clusterip-none': 'create service clusterip headless --clusterip None',
  'service-nodeport': 'create service nodeport np --tcp 80:8080 --node-port 30080',
  'service-loadbalancer': 'create service loadbalancer lb --tcp 443:8443',
  'service-externalname': 'create service externalname ext --external-name example.com',
  job: 'create job once --image busybox -- echo hi',
  'job-from-cronjob': 'create job manual --from cronjob/rich',
  cronjob: 'create cronjob tick --image busybox --schedule "*/5 * * * *" -- date',
  role: 'create role reader --verb get --verb list --resource pods --resource-name p1',
  'role-groups': 'create role deployer --verb get,list,watch --resource deployments.apps,pods/log',
  rolebinding: 'create rolebinding rb --role reader --user alice --serviceaccount default:sa --group devs',
  clusterrole: 'create clusterrole cr --verb get --non-resource-url /healthz',
  'clusterrole-aggregate': 'create clusterrole agg --aggregation-rule rbac.example.com/aggregate=true',
  clusterrolebinding: 'create clusterrolebinding crb --clusterrole cr --user bob',
  serviceaccount: 'create serviceaccount sa',
  priorityclass: 'create priorityclass high --value 1000 --description important --global-default --preemption-policy Never',
  quota: 'create quota q --hard cpu=1,memory=1Gi,pods=2 --scopes BestEffort',
  pdb: 'create poddisruptionbudget pdb --selector app=web --min-available 1',
  'pdb-percent': 'create poddisruptionbudget pdb2 --selector app=web --max-unavailable 50%',
  ingress: 'create ingress web --class nginx --rule foo.com/bar*=svc:8080,tls=secret --annotation a=b',
  'ingress-default': 'create ingress simple --default-backend svc:http --rule /path=svc2:80',
  token: 'create token sa --audience api --duration 1h',
  'token-bound': 'create token sa --bound-object-kind Secret --bound-object-name sec --bound-object-uid 0d4691ed-…',
  'can-i': 'auth can-i get pods',
  'can-i-sub': 'auth can-i create deployments.apps --subresource scale -n prod',
  'can-i-name': 'auth can-i delete pods/foo --namespace default',
  'can-i-url': 'auth can-i get /logs',
  'autoscale-v2': 'autoscale deployment web --cpu-percent=50 --min=1 --max=3',
  'autoscale-v2-defaults': 'autoscale deployment web --max=3',
  'autoscale-v1': 'autoscale deployment web --cpu-percent=50 --min=1 --max=3 (the autoscaling/v1 fallback)',
  'autoscale-v1-defaults': 'autoscale deployment web --max=3 (the autoscaling/v1 fallback)',
};

/** Non-pointer structs Go writes even when empty; the decoder leaves empty ones out. */
const EMPTY_STRUCTS = new Set(['metadata', 'spec', 'resources', 'strategy']);

/**
 * kubectl's JSON minus what protobuf cannot or need not carry: nulls (nil
 * pointers and slices without omitempty, e.g. creationTimestamp, ClusterRole
 * rules), empty non-pointer structs, and an all-zero status (output-only; Go
 * writes its non-omitempty fields, like a PDB's counters or a review's allowed).
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const n = normalize(v);
    if (n === null || (k === 'status' && allZero(n)) || (EMPTY_STRUCTS.has(k) && isEmptyObject(n))) continue;
    out[k] = n;
  }
  return out;
}

function allZero(value: unknown): boolean {
  if (typeof value === 'object' && value !== null) return Object.values(value).every(allZero);
  return value === 0 || value === false || value === '';
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

function refuses(input: Buffer, message: string | RegExp): void {
  assert.throws(
    () => decodeProtobufObject(input),
    (err: unknown) => err instanceof ProtobufDecodeError && (typeof message === 'string' ? err.message === message : message.test(err.message)),
  );
}

/** A body as kubectl frames it: magic, then runtime.Unknown{typeMeta, raw, contentEncoding, contentType}. */
function body(apiVersion: string, kind: string, raw: Uint8Array, contentEncoding = ''): Buffer {
  const w = Writer.create();
  w.uint32(0x0a).fork().uint32(0x0a).string(apiVersion).uint32(0x12).string(kind).ldelim();
  w.uint32(0x12).bytes(raw).uint32(0x1a).string(contentEncoding).uint32(0x22).string('');
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), w.finish()]);
}

/** A Namespace whose ObjectMeta (field 1) holds `meta`. */
function namespaceWithMeta(meta: (w: Writer) => Writer): Buffer {
  const w = Writer.create().uint32(0x0a).fork().uint32(0x0a).string('demo');
  return body('v1', 'Namespace', meta(w).ldelim().finish());
}

describe('decodeProtobufObject: kubectl 1.32/1.33 bodies', () => {
  for (const [name, command] of Object.entries(CASES)) {
    test(`kubectl ${command}`, () => {
      const expected = normalize(JSON.parse(fixture(`${name}.json`).toString('utf8')));
      assert.deepStrictEqual(decodeProtobufObject(fixture(`${name}.bin`)), expected);
    });
  }

  test('every fixture has a case', () => {
    const names = new Set(readdirSync(FIXTURES).map((f) => f.replace(/\.(bin|json)$/, '')));
    assert.deepStrictEqual([...names].sort(), Object.keys(CASES).sort());
  });

  test('Go pointers keep their zero values, as JSON would', () => {
    const zero = decodeProtobufObject(fixture('deployment-zero.bin')) as { spec: { replicas: number } };
    assert.equal(zero.spec.replicas, 0);
    const job = decodeProtobufObject(fixture('job-from-cronjob.bin')) as {
      spec: { backoffLimit: number; suspend: boolean; template: { spec: { terminationGracePeriodSeconds: number; volumes: unknown[] } } };
    };
    assert.equal(job.spec.backoffLimit, 0);
    assert.equal(job.spec.suspend, false);
    assert.equal(job.spec.template.spec.terminationGracePeriodSeconds, 0);
    // An empty volume source still says which kind of volume it is.
    assert.deepStrictEqual(job.spec.template.spec.volumes[0], { name: 'scratch', emptyDir: {} });
  });
});

/** Our proto/k8s/ files as protobufjs loads them, to encode bodies kubectl has no command for. */
function protoRoot(): Root {
  const require = createRequire(import.meta.url);
  const root = new Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? require.resolve(`protobufjs/${target}`) : join(PROTO_ROOT, target));
  root.loadSync(readdirSync(join(PROTO_ROOT, 'k8s')).filter((f) => f.endsWith('.proto')).map((f) => `k8s/${f}`), { keepCase: true });
  return root;
}

describe('decodeProtobufObject: autoscaling/v2 beyond kubectl autoscale', () => {
  test('every metric source and a behavior come back as their JSON, zero windows and quantities included', () => {
    const spec = {
      scaleTargetRef: { kind: 'StatefulSet', name: 'db', apiVersion: 'apps/v1' },
      minReplicas: 2,
      maxReplicas: 9,
      metrics: [
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: { string: '512Mi' } } } },
        { type: 'ContainerResource', containerResource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 }, container: 'app' } },
        { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: { string: '10' } } } },
        { type: 'Object', object: { describedObject: { kind: 'Service', name: 'front', apiVersion: 'v1' }, target: { type: 'Value', value: { string: '100' } }, metric: { name: 'hits' } } },
        { type: 'External', external: { metric: { name: 'queue', selector: { matchLabels: { q: 'jobs' } } }, target: { type: 'Value', value: { string: '30' } } } },
      ],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] },
        scaleDown: { policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] },
      },
    };
    const type = protoRoot().lookupType('k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler');
    const raw = type.encode(type.fromObject({ metadata: { name: 'db' }, spec })).finish();
    assert.deepStrictEqual(decodeProtobufObject(body('autoscaling/v2', 'HorizontalPodAutoscaler', raw)), {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'db' },
      spec: {
        ...spec,
        metrics: [
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } } },
          spec.metrics[1],
          { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } } },
          { type: 'Object', object: { describedObject: { kind: 'Service', name: 'front', apiVersion: 'v1' }, target: { type: 'Value', value: '100' }, metric: { name: 'hits' } } },
          { type: 'External', external: { metric: { name: 'queue', selector: { matchLabels: { q: 'jobs' } } }, target: { type: 'Value', value: '30' } } },
        ],
      },
    });
  });

  test('a status other than the zeros kubectl sends is refused: the subset leaves it out', () => {
    const type = protoRoot().lookupType('k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler');
    // HorizontalPodAutoscaler field 3 (status) with desiredReplicas (field 4) = 2.
    const withStatus = Buffer.concat([type.encode(type.fromObject({ metadata: { name: 'db' } })).finish(), Buffer.from([0x1a, 0x02, 0x20, 0x02])]);
    assert.throws(
      () => decodeProtobufObject(body('autoscaling/v2', 'HorizontalPodAutoscaler', withStatus)),
      (err: unknown) => err instanceof ProtobufDecodeError && err.message === 'field 3 of k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler is not supported in protobuf yet, send JSON',
    );
  });
});

describe('decodeProtobufObject: metadata', () => {
  test('a Time is RFC 3339 in whole seconds; the zero time (an empty message) is absent', () => {
    // creationTimestamp is ObjectMeta field 8; Go writes {seconds} for any time but the zero one.
    const time = (seconds: number) => (w: Writer) => w.uint32(0x42).fork().uint32(0x08).int64(seconds).ldelim();
    assert.deepStrictEqual(decodeProtobufObject(namespaceWithMeta(time(1700000000))), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'demo', creationTimestamp: '2023-11-14T22:13:20Z' },
    });
    assert.deepStrictEqual((decodeProtobufObject(namespaceWithMeta(time(0))) as { metadata: unknown }).metadata, {
      name: 'demo',
      creationTimestamp: '1970-01-01T00:00:00Z',
    });
    const empty = (w: Writer) => w.uint32(0x42).fork().ldelim();
    assert.deepStrictEqual((decodeProtobufObject(namespaceWithMeta(empty)) as { metadata: unknown }).metadata, { name: 'demo' });
  });

  test('fields the subset leaves out pass while empty, and are refused with content', () => {
    // ObjectMeta field 17 (managedFields) is not in our subset.
    const tag = (17 << 3) | 2;
    const emptyEntry = (w: Writer) => w.uint32(tag).fork().uint32(0x0a).string('').uint32(0x22).fork().ldelim().ldelim();
    assert.deepStrictEqual((decodeProtobufObject(namespaceWithMeta(emptyEntry)) as { metadata: unknown }).metadata, { name: 'demo' });
    const entry = (w: Writer) => w.uint32(tag).fork().uint32(0x0a).string('kubectl').ldelim();
    refuses(namespaceWithMeta(entry), 'field 17 of k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta is not supported in protobuf yet, send JSON');
  });
});

describe('decodeProtobufObject: reviews a client-go program may send', () => {
  test('a SubjectAccessReview with its user and groups, and a SelfSubjectReview', () => {
    // spec (2) { resourceAttributes (1) { verb (2) "get", resource (5) "pods" }, user (3) "bob", groups (4) "devs", "ops" }
    const spec = Writer.create().uint32(0x12).fork();
    spec.uint32(0x0a).fork().uint32(0x12).string('get').uint32(0x2a).string('pods').ldelim();
    spec.uint32(0x1a).string('bob').uint32(0x22).string('devs').uint32(0x22).string('ops').ldelim();
    assert.deepStrictEqual(decodeProtobufObject(body('authorization.k8s.io/v1', 'SubjectAccessReview', spec.finish())), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { resourceAttributes: { verb: 'get', resource: 'pods' }, user: 'bob', groups: ['devs', 'ops'] },
    });
    assert.deepStrictEqual(decodeProtobufObject(body('authentication.k8s.io/v1', 'SelfSubjectReview', new Uint8Array())), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
  });
});

describe('decodeProtobufObject: refusals', () => {
  test('kinds and groups outside the subset', () => {
    refuses(body('v1', 'Pod', new Uint8Array()), 'Pod of v1 is not supported in protobuf yet, send JSON');
    refuses(body('example.com/v1', 'Widget', new Uint8Array()), 'Widget of example.com/v1 is not supported in protobuf yet, send JSON');
    // Nested messages are not objects, even though they are in the package.
    refuses(body('v1', 'PodSpec', new Uint8Array()), 'PodSpec of v1 is not supported in protobuf yet, send JSON');
  });

  test('bodies that are not kubectl protobuf', () => {
    refuses(Buffer.from('{"kind":"Namespace"}'), /magic prefix/);
    refuses(fixture('deployment.bin').subarray(0, 100), /^malformed protobuf body: /);
    refuses(body('v1', 'Namespace', new Uint8Array(), 'gzip'), 'content encoding "gzip" is not supported');
    // ObjectMeta.name (field 1) as a varint instead of a string.
    refuses(body('v1', 'Namespace', Writer.create().uint32(0x0a).fork().uint32(0x08).uint32(1).ldelim().finish()), /wire type 0, expected 2/);
  });
});
