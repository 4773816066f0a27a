// The pod-specific annotations of upstream 1.31's ValidatePodSpecificAnnotations
// and ValidatePodSpecificAnnotationUpdates (server/api/kinds/pod-annotations.ts):
// the mirror-pod marker, the old alpha tolerations annotation decoded as Go
// decodes it, and the deletion cost (common/pod-deletion-cost.ts), on pods
// and templates, with the exact field and message kubectl prints; and the
// DynamicResourceAllocation fields a 1.31 server drops.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { POD_DELETION_COST, podDeletionCost } from '../../common/pod-deletion-cost.js';
import { causes, create, type Json, update } from '../helpers/kind-rules.js';

const MIRROR = 'kubernetes.io/config.mirror';
const TOLERATIONS = 'scheduler.alpha.kubernetes.io/tolerations';

const pod = (annotations: Json, spec: Json = {}): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', annotations },
  spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec },
});
const deployment = (annotations: Json): Json => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' }, annotations }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
  },
});
const podCauses = (annotations: Json, spec?: Json): string[] => causes(() => create(pod(annotations, spec)));
/** The stored object with other annotations, as a client would send it back. */
const annotated = (current: Json, annotations: Json): Json => ({ ...current, metadata: { ...current['metadata'], annotations } });

describe('the mirror-pod annotation', () => {
  test('needs a node on create', () => {
    assert.deepEqual(podCauses({ [MIRROR]: 'a1b2' }), [`metadata.annotations[${MIRROR}]: Invalid value: "a1b2": must set spec.nodeName if mirror pod annotation is set`]);
    assert.equal(create(pod({ [MIRROR]: 'a1b2' }, { nodeName: 'pi-1' }))['metadata'].annotations[MIRROR], 'a1b2');
    assert.deepEqual(causes(() => create(deployment({ [MIRROR]: '' }))), [
      `spec.template.annotations[${MIRROR}]: Invalid value: "": must set spec.nodeName if mirror pod annotation is set`,
    ]);
  });

  test('cannot be added, changed or removed by an update', () => {
    const plain = create(pod({}, { nodeName: 'pi-1' }));
    assert.deepEqual(causes(() => update(plain, annotated(plain, { [MIRROR]: 'x' }))), [`metadata.annotations[${MIRROR}]: Forbidden: may not add mirror pod annotation`]);
    const mirror = create(pod({ [MIRROR]: 'x' }, { nodeName: 'pi-1' }));
    assert.deepEqual(causes(() => update(mirror, annotated(mirror, { [MIRROR]: 'y' }))), [
      `metadata.annotations[${MIRROR}]: Forbidden: may not remove or update mirror pod annotation`,
    ]);
    assert.deepEqual(causes(() => update(mirror, annotated(mirror, {}))), [`metadata.annotations[${MIRROR}]: Forbidden: may not remove or update mirror pod annotation`]);
    update(mirror, annotated(mirror, { [MIRROR]: 'x', team: 'web' }));
  });
});

describe('the deletion cost', () => {
  test('reads as upstream reads it', () => {
    for (const [text, cost] of [
      ['0', 0],
      ['100', 100],
      ['-5', -5],
      ['-08', -8],
      ['2147483647', 2147483647],
      ['-2147483648', -2147483648],
    ] as const) {
      assert.equal(podDeletionCost({ [POD_DELETION_COST]: text }), cost, text);
    }
    assert.equal(podDeletionCost(undefined), 0);
    assert.equal(podDeletionCost({ other: 'x' }), 0);
    for (const text of ['', '+10', '008', '00', '1.5', '1e3', 'ten', '-', '2147483648', '-2147483649', ' 1']) {
      assert.equal(podDeletionCost({ [POD_DELETION_COST]: text }), undefined, JSON.stringify(text));
    }
  });

  test('must be a 32-bit integer on pods and templates', () => {
    assert.deepEqual(podCauses({ [POD_DELETION_COST]: '+10' }), [`metadata.annotations[${POD_DELETION_COST}]: Invalid value: "+10": must be a 32bit integer`]);
    assert.deepEqual(causes(() => create(deployment({ [POD_DELETION_COST]: '1e3' }))), [
      `spec.template.annotations[${POD_DELETION_COST}]: Invalid value: "1e3": must be a 32bit integer`,
    ]);
    assert.equal(create(pod({ [POD_DELETION_COST]: '-100' }))['metadata'].annotations[POD_DELETION_COST], '-100');
  });

  test('an object that already holds an unreadable cost may keep one; a valid one may not become unreadable', () => {
    // As written by a server that did not check it.
    const held = { ...create(pod({})), metadata: { ...create(pod({}))['metadata'], annotations: { [POD_DELETION_COST]: 'high' } } };
    update(held, annotated(held, { [POD_DELETION_COST]: 'higher' }));
    const valid = create(pod({ [POD_DELETION_COST]: '5' }));
    assert.deepEqual(causes(() => update(valid, annotated(valid, { [POD_DELETION_COST]: 'high' }))), [
      `metadata.annotations[${POD_DELETION_COST}]: Invalid value: "high": must be a 32bit integer`,
      `metadata.annotations[${POD_DELETION_COST}]: Invalid value: "high": must be a 32bit integer`,
    ]);
    const d = create(deployment({ [POD_DELETION_COST]: '1' }));
    const template = d['spec'].template;
    const heldTemplate = { ...d, spec: { ...d['spec'], template: { ...template, metadata: { ...template.metadata, annotations: { [POD_DELETION_COST]: 'x' } } } } };
    update(heldTemplate, heldTemplate);
  });
});

describe('the alpha tolerations annotation', () => {
  const bad = (text: string): string[] => podCauses({ [TOLERATIONS]: text });

  test("is decoded as Go's json.Unmarshal into []core.Toleration, with Go's errors", () => {
    assert.deepEqual(bad('[{'), [`metadata.annotations: Invalid value: "${TOLERATIONS}": unexpected end of JSON input`]);
    assert.deepEqual(bad('x'), [`metadata.annotations: Invalid value: "${TOLERATIONS}": invalid character 'x' looking for beginning of value`]);
    assert.deepEqual(bad('{}'), [`metadata.annotations: Invalid value: "${TOLERATIONS}": json: cannot unmarshal object into Go value of type []core.Toleration`]);
    assert.deepEqual(bad('[{"key":"a","operator":"Exists","effect":"NoExecute","tolerationSeconds":"60"}]'), [
      `metadata.annotations: Invalid value: "${TOLERATIONS}": json: cannot unmarshal string into Go struct field Toleration.TolerationSeconds of type int64`,
    ]);
    assert.deepEqual(bad('[{"key":"a","operator":"Exists","effect":"NoExecute","tolerationSeconds":1.5}]'), [
      `metadata.annotations: Invalid value: "${TOLERATIONS}": json: cannot unmarshal number 1.5 into Go struct field Toleration.TolerationSeconds of type int64`,
    ]);
    assert.deepEqual(bad('[{"Key":7}]'), [`metadata.annotations: Invalid value: "${TOLERATIONS}": json: cannot unmarshal number into Go struct field Toleration.Key of type string`]);
  });

  test("then held to the field's rules, under the annotation's name", () => {
    assert.deepEqual(bad('[{"key":"a","operator":"Maybe"},{"operator":"Equal","effect":"NoExecute"}]'), [
      `metadata.annotations.${TOLERATIONS}[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"`,
      `metadata.annotations.${TOLERATIONS}[1].operator: Invalid value: "Equal": operator must be Exists when \`key\` is empty, which means "match all values and all keys"`,
    ]);
    assert.deepEqual(bad('[{"key":"a","operator":"Exists","tolerationSeconds":60}]'), [
      `metadata.annotations.${TOLERATIONS}[0].effect: Invalid value: "": effect must be 'NoExecute' when \`tolerationSeconds\` is set`,
    ]);
    // A null element decodes as Go's zero toleration, which is no valid one.
    assert.deepEqual(bad('[null]'), [
      `metadata.annotations.${TOLERATIONS}[0].operator: Invalid value: "": operator must be Exists when \`key\` is empty, which means "match all values and all keys"`,
    ]);
    // Field names match in any case; an empty annotation or a null list is none at all.
    create(pod({ [TOLERATIONS]: '[{"KEY":"a","operator":"Exists","effect":"NoExecute","tolerationSeconds":60}]' }));
    create(pod({ [TOLERATIONS]: '' }));
    create(pod({ [TOLERATIONS]: 'null' }));
  });
});

describe('DynamicResourceAllocation fields', () => {
  test('are dropped, as a 1.31 server with the gate off drops them', () => {
    const p = create(
      pod({}, {
        resourceClaims: [{ name: 'gpu', resourceClaimName: 'gpu-claim' }],
        containers: [{ name: 'web', image: 'nginx', resources: { claims: [{ name: 'gpu' }], limits: { cpu: '1' } } }],
      }),
    );
    assert.equal(p['spec'].resourceClaims, undefined);
    assert.deepEqual(p['spec'].containers[0].resources, { limits: { cpu: '1' }, requests: { cpu: '1' } });
  });
});
