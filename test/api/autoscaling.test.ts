// HorizontalPodAutoscalers in the API: autoscaling/v2's defaults and
// validation (upstream's messages), the autoscaling/v1 ⇄ v2 conversion with
// its round-trip annotations, and the registry serving one stored HPA in both
// versions (create, update, patch, status, list, watch).
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { horizontalPodAutoscalerRules } from '../../server/api/kinds/autoscaling.js';
import {
  BEHAVIOR_ANNOTATION,
  CONDITIONS_ANNOTATION,
  METRIC_SPECS_ANNOTATION,
  METRIC_STATUSES_ANNOTATION,
  v1ToV2,
  v2ToV1,
} from '../../server/api/kinds/autoscaling-v1.js';
import type { KubeObject } from '../../server/api/objects.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry } from '../helpers/api-registry.js';

// Manifests are plain JSON, as they arrive from kubectl.
type Json = Record<string, any>;

const REF = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const cpu = (percent: number) => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: percent } } });
const memoryValue = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '200Mi' } } };

function hpa(spec: Json, extra: Json = {}): KubeObject {
  return { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' }, spec, ...extra } as KubeObject;
}

/** As the registry's create: defaults, then validation. */
function admit(obj: KubeObject, old?: KubeObject): { obj: Json; causes: { field?: string; message?: string }[] } {
  const copy = structuredClone(obj);
  horizontalPodAutoscalerRules.defaults!(copy, old);
  return { obj: copy, causes: horizontalPodAutoscalerRules.validate!(copy, old) };
}

const causesOf = (spec: Json) => admit(hpa(spec)).causes.map((c) => `${c.field}: ${c.message}`);

describe('autoscaling/v2 defaults (SetDefaults_HorizontalPodAutoscaler)', () => {
  test('minReplicas 1 and an 80% cpu utilization metric when none is named; no behavior unless given; create starts the status afresh', () => {
    const { obj, causes } = admit(hpa({ scaleTargetRef: REF, maxReplicas: 3 }, { status: { desiredReplicas: 7, currentReplicas: 7 } }));
    assert.deepEqual(causes, []);
    assert.deepEqual(obj['spec'], { scaleTargetRef: REF, maxReplicas: 3, minReplicas: 1, metrics: [cpu(80)] });
    assert.deepEqual(obj['status'], { desiredReplicas: 0 });
  });

  test('named metrics stay as they are, their quantities in canonical form', () => {
    const { obj } = admit(hpa({ scaleTargetRef: REF, minReplicas: 2, maxReplicas: 3, metrics: [{ ...memoryValue, resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '0.5Gi' } } }] }));
    assert.deepEqual(obj['spec'].metrics, [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } } }]);
    assert.equal(obj['spec'].minReplicas, 2);
  });

  test('a given behavior gets every unset field: scale-up 0 s, Max, 4 pods or 100% per 15 s; scale-down Max, 100% per 15 s and no window (the controller picks it)', () => {
    const { obj } = admit(hpa({ scaleTargetRef: REF, maxReplicas: 3, behavior: {} }));
    assert.deepEqual(obj['spec'].behavior, {
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
    const partial = admit(hpa({ scaleTargetRef: REF, maxReplicas: 3, behavior: { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Min' } } })).obj;
    assert.deepEqual(partial['spec'].behavior.scaleDown, { stabilizationWindowSeconds: 60, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  });

  test('an update keeps its minReplicas 0 only when it had it', () => {
    const zero = hpa({ scaleTargetRef: REF, minReplicas: 0, maxReplicas: 3, metrics: [{ type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '10' } } }] });
    assert.deepEqual(admit(zero).causes.map((c) => c.field), ['spec.minReplicas']);
    assert.deepEqual(admit(zero, zero).causes, []);
  });
});

describe('autoscaling/v2 validation, in upstream words', () => {
  test('replica bounds and the scale target', () => {
    assert.deepEqual(causesOf({ scaleTargetRef: REF, minReplicas: 4, maxReplicas: 3 }), ['spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`']);
    assert.deepEqual(causesOf({ scaleTargetRef: { kind: 'Deploy/ment', name: '..' }, maxReplicas: 0 }), [
      'spec.maxReplicas: Invalid value: 0: must be greater than 0',
      'spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`',
      `spec.scaleTargetRef.kind: Invalid value: "Deploy/ment": may not contain '/'`,
      `spec.scaleTargetRef.name: Invalid value: "..": may not be '..'`,
    ]);
    assert.deepEqual(causesOf({ maxReplicas: 1 }), ['spec.scaleTargetRef.kind: Required value', 'spec.scaleTargetRef.name: Required value']);
  });

  test('metrics: the source named by the type, one target, positive values', () => {
    assert.deepEqual(causesOf({ scaleTargetRef: REF, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] }), [
      'spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
    ]);
    assert.deepEqual(
      causesOf({ scaleTargetRef: REF, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0, averageValue: '-1' } } }] }),
      [
        'spec.metrics[0].resource.target.averageValue: Invalid value: "-1": must be positive',
        'spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0',
        'spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization',
      ],
    );
    assert.deepEqual(causesOf({ scaleTargetRef: REF, maxReplicas: 3, metrics: [{ type: 'Pods', resource: cpu(50).resource }] }), [
      'spec.metrics[0].pods: Required value: must populate information for the given metric source',
    ]);
    assert.deepEqual(causesOf({ scaleTargetRef: REF, maxReplicas: 3, metrics: [{ type: 'Custom' }] }), [
      'spec.metrics[0].type: Unsupported value: "Custom": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
      'spec.metrics[0].type: Unsupported value: "Custom": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
    ]);
    assert.deepEqual(causesOf({ scaleTargetRef: REF, maxReplicas: 3, metrics: [{ type: 'Pods', pods: { metric: { name: '' }, target: { type: 'Rate' } } }] }), [
      'spec.metrics[0].pods.metric.name: Required value: must specify a metric name',
      'spec.metrics[0].pods.target.type: Invalid value: "Rate": must be either Utilization, Value, or AverageValue',
      'spec.metrics[0].pods.target.averageValue: Required value: must specify a positive target averageValue',
    ]);
  });

  test('behavior: policies, their periods and the stabilization window', () => {
    assert.deepEqual(
      causesOf({
        scaleTargetRef: REF,
        maxReplicas: 3,
        behavior: { scaleUp: { stabilizationWindowSeconds: 3601, selectPolicy: 'Fastest', policies: [{ type: 'Nodes', value: 0, periodSeconds: 1801 }] }, scaleDown: { policies: [] } },
      }),
      [
        'spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600',
        'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Fastest": supported values: "Disabled", "Max", "Min"',
        'spec.behavior.scaleUp.policies[0].type: Unsupported value: "Nodes": supported values: "Percent", "Pods"',
        'spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero',
        'spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800',
        'spec.behavior.scaleDown.policies: Required value: must specify at least one Policy',
      ],
    );
  });
});

describe('autoscaling/v1 ⇄ v2 conversion (pkg/apis/autoscaling/v1/conversion.go)', () => {
  const v1 = (spec: Json, extra: Json = {}): KubeObject =>
    ({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default', ...extra['metadata'] }, spec, ...(extra['status'] ? { status: extra['status'] } : {}) }) as KubeObject;

  test('targetCPUUtilizationPercentage is a cpu Utilization metric; without it (and no annotation) the 80% default', () => {
    const v2 = v1ToV2(v1({ scaleTargetRef: REF, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50 }, { status: { currentReplicas: 0, desiredReplicas: 0 } }));
    assert.deepEqual(v2, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: REF, minReplicas: 1, maxReplicas: 3, metrics: [cpu(50)] },
      status: { desiredReplicas: 0 },
    });
    assert.deepEqual((v1ToV2(v1({ scaleTargetRef: REF, maxReplicas: 3 })) as Json)['spec'].metrics, [cpu(80)]);
  });

  test('v2 → v1: the first cpu utilization is the target; other metrics, current metrics, conditions and the behavior go to annotations', () => {
    const condition = { type: 'AbleToScale', status: 'True', lastTransitionTime: '2026-11-22T10:00:00Z', reason: 'SucceededRescale', message: 'ok' };
    const stored = hpa(
      {
        scaleTargetRef: REF,
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [memoryValue, cpu(60), { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } } }],
        behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] }, scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } },
      },
      {
        metadata: { name: 'web', namespace: 'default', annotations: { keep: 'me', [METRIC_SPECS_ANNOTATION]: 'stale' } },
        status: {
          lastScaleTime: '2026-11-22T10:00:00Z',
          currentReplicas: 2,
          desiredReplicas: 3,
          currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 75, averageValue: '150m' } } }],
          conditions: [condition],
        },
      },
    );
    const out = v2ToV1(stored) as Json;
    assert.deepEqual(out['spec'], { scaleTargetRef: REF, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 });
    assert.deepEqual(out['status'], { lastScaleTime: '2026-11-22T10:00:00Z', currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 75 });
    assert.deepEqual(out['metadata'].annotations, {
      keep: 'me',
      [METRIC_SPECS_ANNOTATION]: '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"200Mi"}},{"type":"Pods","pods":{"metricName":"rps","targetAverageValue":"10"}}]',
      [METRIC_STATUSES_ANNOTATION]: '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":75,"currentAverageValue":"150m"}}]',
      [CONDITIONS_ANNOTATION]: JSON.stringify([condition]),
      [BEHAVIOR_ANNOTATION]:
        '{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15}]},"ScaleDown":{"StabilizationWindowSeconds":null,"SelectPolicy":"Max","Policies":[{"Type":"Percent","Value":100,"PeriodSeconds":15}]}}',
    });

    // And back: everything returns (the cpu target after the others, as upstream orders them), the annotations go.
    const back = v1ToV2(out as KubeObject) as Json;
    assert.deepEqual(back['metadata'].annotations, { keep: 'me' });
    assert.deepEqual(back['spec'].metrics, [memoryValue, { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } } }, cpu(60)]);
    assert.deepEqual(back['spec'].behavior, (stored as Json)['spec'].behavior);
    assert.deepEqual(back['status'], (stored as Json)['status']);
  });

  test('v2 → v1 of a plain HPA adds nothing and writes v1\'s required status counters', () => {
    const out = v2ToV1(hpa({ scaleTargetRef: REF, minReplicas: 1, maxReplicas: 3, metrics: [cpu(50)] }, { status: { desiredReplicas: 0 } })) as Json;
    assert.deepEqual(out, {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: REF, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
      status: { currentReplicas: 0, desiredReplicas: 0 },
    });
  });

  test('v1 annotations in v1\'s own metric types and any-case behavior names become v2 fields', () => {
    const v2 = v1ToV2(
      v1(
        { scaleTargetRef: REF, maxReplicas: 3 },
        {
          metadata: {
            annotations: {
              [METRIC_SPECS_ANNOTATION]: JSON.stringify([
                { type: 'External', external: { metricName: 'queue', metricSelector: { matchLabels: { q: 'jobs' } }, targetAverageValue: '30' } },
                { type: 'Object', object: { target: { kind: 'Service', name: 'front' }, metricName: 'hits', targetValue: '100' } },
              ]),
              [BEHAVIOR_ANNOTATION]: '{"scaleDown":{"stabilizationWindowSeconds":60}}',
            },
          },
        },
      ),
    ) as Json;
    assert.deepEqual(v2['spec'].metrics, [
      { type: 'External', external: { metric: { name: 'queue', selector: { matchLabels: { q: 'jobs' } } }, target: { type: 'AverageValue', averageValue: '30' } } },
      { type: 'Object', object: { describedObject: { kind: 'Service', name: 'front' }, target: { type: 'Value', value: '100' }, metric: { name: 'hits' } } },
    ]);
    assert.deepEqual(v2['spec'].behavior, { scaleDown: { stabilizationWindowSeconds: 60 } });
    assert.equal(v2['metadata'].annotations, undefined);
  });

  test('a metrics annotation that is not a list of metrics fails the request with a 400, as upstream\'s decoding does', () => {
    for (const text of ['{not json', '{"type":"Resource"}']) {
      assert.throws(
        () => v1ToV2(v1({ scaleTargetRef: REF, maxReplicas: 3 }, { metadata: { annotations: { [METRIC_SPECS_ANNOTATION]: text } } })),
        (err: unknown) => err instanceof ApiError && err.code === 400 && err.message.startsWith('HorizontalPodAutoscaler in version "v1" cannot be handled as a HorizontalPodAutoscaler: annotation autoscaling.alpha.kubernetes.io/metrics: '),
      );
    }
  });
});

describe('one stored HPA, served as autoscaling/v2 and autoscaling/v1', () => {
  async function setup(t: TestContext) {
    const { catalogue, registry } = await apiRegistry(t);
    return { registry, v1: catalogue.get('autoscaling', 'v1', 'horizontalpodautoscalers')!, v2: catalogue.get('autoscaling', 'v2', 'horizontalpodautoscalers')! };
  }

  test('created in v1, it is stored in v2 with v2\'s defaults; reads, lists and watches answer in the version asked', async (t) => {
    const { registry, v1, v2 } = await setup(t);
    const manifest = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: REF, maxReplicas: 3, targetCPUUtilizationPercentage: 50 } };
    const created = (await registry.create(v1, 'default', manifest as unknown as KubeObject, {})) as Json;
    assert.equal(created['apiVersion'], 'autoscaling/v1');
    assert.deepEqual(created['spec'], { scaleTargetRef: REF, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50 });
    assert.deepEqual(created['status'], { currentReplicas: 0, desiredReplicas: 0 });
    assert.equal(created['metadata'].generation, 1);

    const stored = (await registry.get(v2, 'default', 'web')) as Json;
    assert.equal(stored['apiVersion'], 'autoscaling/v2');
    assert.deepEqual(stored['spec'], { scaleTargetRef: REF, maxReplicas: 3, metrics: [cpu(50)], minReplicas: 1 });
    assert.equal(stored['metadata'].resourceVersion, created['metadata'].resourceVersion);

    const asJson = JSON.parse((await registry.getJson(v1, 'default', 'web')).toString()) as Json;
    assert.equal(asJson['spec'].targetCPUUtilizationPercentage, 50);
    const list = JSON.parse((await registry.listJson(v1, 'default', {})).toString()) as Json;
    assert.deepEqual([list['kind'], list['apiVersion'], list['items'][0].spec.targetCPUUtilizationPercentage], ['HorizontalPodAutoscalerList', 'autoscaling/v1', 50]);

    const abort = new AbortController();
    t.after(() => abort.abort());
    const events = registry.watch(v1, 'default', { signal: abort.signal });
    const first = await events.next();
    assert.deepEqual([(first.value as Json)['type'], (first.value as Json)['object'].apiVersion, (first.value as Json)['object'].spec.targetCPUUtilizationPercentage], ['ADDED', 'autoscaling/v1', 50]);
    await registry.patch(v2, 'default', 'web', (o) => ({ ...o, spec: { ...(o as Json)['spec'], metrics: [cpu(70)] } }), {});
    const modified = (await events.next()).value as Json;
    assert.deepEqual([modified['type'], modified['object'].spec.targetCPUUtilizationPercentage, modified['object'].metadata.generation], ['MODIFIED', 70, 2]);
    await registry.delete(v2, 'default', 'web', {});
    const deleted = (await events.next()).value as Json;
    assert.deepEqual([deleted['type'], deleted['object'].apiVersion, deleted['object'].spec.targetCPUUtilizationPercentage], ['DELETED', 'autoscaling/v1', 70]);
  });

  test('a v1 read-modify-write keeps what only v2 can say; a v1 status write reaches the v2 status; invalid v1 input is refused in v2 terms', async (t) => {
    const { registry, v1, v2 } = await setup(t);
    const behavior = { scaleDown: { stabilizationWindowSeconds: 30 } };
    await registry.create(v2, 'default', hpa({ scaleTargetRef: REF, maxReplicas: 4, metrics: [memoryValue, cpu(50)], behavior }), {});
    const read = (await registry.get(v1, 'default', 'web')) as Json;
    read['spec'].maxReplicas = 6;
    await registry.update(v1, 'default', 'web', read as KubeObject, {});
    const after = (await registry.get(v2, 'default', 'web')) as Json;
    assert.equal(after['spec'].maxReplicas, 6);
    assert.deepEqual(after['spec'].metrics, [memoryValue, cpu(50)]);
    assert.equal(after['spec'].behavior.scaleDown.stabilizationWindowSeconds, 30);
    assert.equal(after['metadata'].annotations, undefined);

    const status = (await registry.get(v1, 'default', 'web')) as Json;
    status['status'] = { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 40 };
    delete status['metadata'].annotations;
    await registry.update(v1, 'default', 'web', status as KubeObject, { subresource: 'status' });
    const withStatus = (await registry.get(v2, 'default', 'web')) as Json;
    assert.deepEqual(withStatus['status'], { currentReplicas: 2, desiredReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }] });
    // The main resource cannot change the status, nor the status write the spec.
    assert.equal(withStatus['spec'].maxReplicas, 6);

    await assert.rejects(
      registry.create(v1, 'default', { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' }, spec: { scaleTargetRef: REF, minReplicas: 3, maxReplicas: 2 } } as unknown as KubeObject, {}),
      (err: unknown) =>
        err instanceof ApiError &&
        err.code === 422 &&
        err.message === 'HorizontalPodAutoscaler.autoscaling "bad" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
    );
  });
});
