// Pods' and pod templates' `affinity` and `topologySpreadConstraints` against
// what a Kubernetes 1.31 API server answers (pkg/apis/core/validation's
// validateAffinity and validateTopologySpreadConstraints, the pod strategy's
// matchLabelKeys merge on create, a gated pod's narrowing updates): each rule
// with the exact field and message kubectl prints, in upstream's order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { causes, create, type Json, update } from '../helpers/kind-rules.js';

// --- manifests ----------------------------------------------------------------

const pod = (spec: Json, labels: Json = { app: 'web' }): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels },
  spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec },
});
const withAffinity = (affinity: Json, labels?: Json): Json => pod({ affinity }, labels);
const withSpread = (topologySpreadConstraints: Json[]): Json => pod({ topologySpreadConstraints });
const deployment = (spec: Json): Json => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec } },
  },
});

/** One pod anti-affinity term, required. */
const antiAffinity = (term: Json): Json => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } });
const ANTI = 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]';
const NODE = 'spec.affinity.nodeAffinity';

const QUALIFIED =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const DNS_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const UPDATABLE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

// --- what passes ----------------------------------------------------------------

describe('valid affinity and spread constraints', () => {
  // What `helm create` and most charts render: soft anti-affinity per node, soft zone spread.
  const chartAffinity = {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'prod' } },
            topologyKey: 'kubernetes.io/hostname',
          },
        },
        {
          weight: 1,
          podAffinityTerm: {
            labelSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['web'] }] },
            namespaces: ['default', 'kube-system'],
            topologyKey: 'topology.kubernetes.io/zone',
          },
        },
      ],
    },
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64', 'amd64'] }] },
          { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['pi-1'] }] },
        ],
      },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } }],
    },
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, namespaceSelector: {}, topologyKey: 'kubernetes.io/hostname' }],
    },
  };
  const spread = [
    { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } },
    {
      maxSkew: 2,
      minDomains: 3,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule',
      nodeAffinityPolicy: 'Honor',
      nodeTaintsPolicy: 'Ignore',
      labelSelector: { matchLabels: { app: 'web' } },
      matchLabelKeys: ['pod-template-hash'],
    },
  ];

  test('a pod with a chart-style affinity and spread constraints is stored as sent', () => {
    const p = create(pod({ affinity: chartAffinity, topologySpreadConstraints: spread }));
    assert.deepEqual(p['spec'].affinity, chartAffinity);
    assert.deepEqual(p['spec'].topologySpreadConstraints, spread);
  });

  test('a Deployment, a DaemonSet and a Job with them in the template pass', () => {
    const d = create(deployment({ affinity: chartAffinity, topologySpreadConstraints: spread }));
    assert.deepEqual(d['spec'].template.spec.affinity, chartAffinity);
    create({ ...deployment({ affinity: chartAffinity }), kind: 'DaemonSet' });
    create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi' },
      spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never', affinity: chartAffinity, topologySpreadConstraints: spread } } },
    });
  });
});

// --- node affinity ----------------------------------------------------------------

describe('node affinity', () => {
  test('the required node selector needs a term, and each requirement its values', () => {
    assert.deepEqual(causes(() => create(withAffinity({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }))), [
      `${NODE}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term`,
    ]);
    const terms = [
      { matchExpressions: [{ key: 'zone', operator: 'In' }, { key: 'gpu', operator: 'Exists', values: ['a'] }, { key: 'cores', operator: 'Gt', values: ['1', '2'] }] },
      { matchExpressions: [{ key: 'bad key', operator: 'Like', values: ['x'] }], matchFields: [{ key: 'metadata.labels', operator: 'In', values: ['a'] }] },
    ];
    const t = `${NODE}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    assert.deepEqual(causes(() => create(withAffinity({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } }))), [
      `${t}[0].matchExpressions[0].values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`,
      `${t}[0].matchExpressions[1].values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`,
      `${t}[0].matchExpressions[2].values: Required value: must be specified single value when \`operator\` is 'Lt' or 'Gt'`,
      `${t}[1].matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator`,
      `${t}[1].matchExpressions[0].key: Invalid value: "bad key": ${QUALIFIED}`,
      `${t}[1].matchFields[0].key: Invalid value: "metadata.labels": not a valid field selector key`,
    ]);
  });

  test('preferred terms: a weight from 1 to 100, then the term', () => {
    const preferred = [
      { weight: 0, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
      { weight: 101, preference: { matchExpressions: [{ key: 'disk', operator: 'NotIn' }] } },
      { preference: {} },
      { weight: 100, preference: { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['Pi_1'] }] } },
    ];
    const p = `${NODE}.preferredDuringSchedulingIgnoredDuringExecution`;
    assert.deepEqual(causes(() => create(withAffinity({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred } }))), [
      `${p}[0].weight: Invalid value: 0: must be in the range 1-100`,
      `${p}[1].weight: Invalid value: 101: must be in the range 1-100`,
      `${p}[1].preference.matchExpressions[0].values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`,
      `${p}[2].weight: Invalid value: 0: must be in the range 1-100`,
      `${p}[3].preference.matchFields[0].values[0]: Invalid value: "Pi_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });

  test('node selector label values are not checked (1.31; 1.32 began to)', () => {
    const terms = [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['not a label value!'] }] }];
    create(withAffinity({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } }));
  });
});

// --- pod affinity terms -------------------------------------------------------------

describe('pod affinity and anti-affinity terms', () => {
  test('selectors, namespaces and the topology key, in that order', () => {
    const term = {
      labelSelector: { matchLabels: { 'bad key': 'v' }, matchExpressions: [{ key: 'app', operator: 'In' }, { key: 'tier', operator: 'NotIn', values: ['front end'] }] },
      namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Equals', values: ['a'] }] },
      namespaces: ['ok', 'Bad_NS', 'has.dot'],
      topologyKey: '',
    };
    assert.deepEqual(causes(() => create(withAffinity(antiAffinity(term)))), [
      `${ANTI}.labelSelector.matchLabels: Invalid value: "bad key": ${QUALIFIED}`,
      `${ANTI}.labelSelector.matchExpressions[0].values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`,
      `${ANTI}.labelSelector.matchExpressions[1].values[0]: Invalid value: "front end": ${LABEL_VALUE}`,
      `${ANTI}.namespaceSelector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator`,
      // Upstream's path for every entry of `namespaces`.
      `${ANTI}.namespace: Invalid value: "Bad_NS": ${DNS_LABEL}`,
      `${ANTI}.namespace: Invalid value: "has.dot": must not contain dots`,
      `${ANTI}.topologyKey: Required value: can not be empty`,
      `${ANTI}.topologyKey: Invalid value: "": name part must be non-empty`,
      `${ANTI}.topologyKey: Invalid value: "": ${QUALIFIED}`,
    ]);
  });

  test('a topology key is a label name', () => {
    assert.deepEqual(causes(() => create(withAffinity(antiAffinity({ labelSelector: {}, topologyKey: 'a/b/c' })))), [
      `${ANTI}.topologyKey: Invalid value: "a/b/c": a qualified name ${QUALIFIED.replace('name part must', 'must')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]);
  });

  test('preferred terms: the weight, then the term under podAffinityTerm; required before preferred, podAffinity before podAntiAffinity', () => {
    const affinity = {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, podAffinityTerm: { topologyKey: 'zone' } }, { weight: 101 }],
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: '' }],
      },
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { topologyKey: 'x y' } }] },
    };
    const pref = 'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution';
    assert.deepEqual(causes(() => create(withAffinity(affinity))), [
      `spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey: Invalid value: "x y": ${QUALIFIED}`,
      `${ANTI}.topologyKey: Required value: can not be empty`,
      `${ANTI}.topologyKey: Invalid value: "": name part must be non-empty`,
      `${ANTI}.topologyKey: Invalid value: "": ${QUALIFIED}`,
      `${pref}[0].weight: Invalid value: 0: must be in the range 1-100`,
      `${pref}[1].weight: Invalid value: 101: must be in the range 1-100`,
      `${pref}[1].podAffinityTerm.topologyKey: Required value: can not be empty`,
      `${pref}[1].podAffinityTerm.topologyKey: Invalid value: "": name part must be non-empty`,
      `${pref}[1].podAffinityTerm.topologyKey: Invalid value: "": ${QUALIFIED}`,
    ]);
  });

  test('matchLabelKeys and mismatchLabelKeys: label names, a selector to merge into, no key in both', () => {
    const noSelector = { topologyKey: 'zone', matchLabelKeys: ['app'], mismatchLabelKeys: ['tenant'] };
    assert.deepEqual(causes(() => create(withAffinity(antiAffinity(noSelector)))), [
      `${ANTI}.matchLabelKeys: Forbidden: must not be specified when labelSelector is not set`,
      `${ANTI}.mismatchLabelKeys: Forbidden: must not be specified when labelSelector is not set`,
    ]);
    const term = { labelSelector: {}, topologyKey: 'zone', matchLabelKeys: ['bad key', 'tenant'], mismatchLabelKeys: ['tenant', '-x'] };
    assert.deepEqual(causes(() => create(withAffinity(antiAffinity(term), {}))), [
      `${ANTI}.matchLabelKeys[0]: Invalid value: "bad key": ${QUALIFIED}`,
      `${ANTI}.mismatchLabelKeys[1]: Invalid value: "-x": ${QUALIFIED}`,
      `${ANTI}.matchLabelKeys[1]: Invalid value: "tenant": exists in both matchLabelKeys and mismatchLabelKeys`,
    ]);
  });

  test('a pod template with a key in both matchLabelKeys and the selector passes, the pod made from it does not', () => {
    // Templates are not merged; on a pod's create the merged key shows up twice, and upstream
    // reports it under the term's path with the key's index appended (no `.matchLabelKeys`).
    const affinity = antiAffinity({ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname', matchLabelKeys: ['tier', 'app'] });
    create(deployment({ affinity }));
    assert.deepEqual(causes(() => create(withAffinity(affinity, { app: 'web' }))), [`${ANTI}[1]: Invalid value: "app": exists in both matchLabelKeys and labelSelector`]);
    // Without the label nothing is merged, so nothing is repeated.
    create(withAffinity(affinity, { tier: 'front' }));
  });
});

// --- the matchLabelKeys merge -----------------------------------------------------------

describe("matchLabelKeys merged into the selector on a pod's create", () => {
  const affinity = {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone', matchLabelKeys: ['pod-template-hash', 'missing'], mismatchLabelKeys: ['tenant'] },
      ],
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 10, podAffinityTerm: { labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, topologyKey: 'zone', mismatchLabelKeys: ['tenant'] } },
      ],
    },
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname', matchLabelKeys: ['pod-template-hash'] },
      ],
    },
  };
  const labels = { app: 'web', 'pod-template-hash': '5d4f8', tenant: 'acme' };

  test('In for matchLabelKeys, NotIn for mismatchLabelKeys, keys the pod lacks skipped; the keys stay', () => {
    const p = create(withAffinity(affinity, labels));
    assert.deepEqual(p['spec'].affinity, {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: {
              matchLabels: { app: 'web' },
              matchExpressions: [
                { key: 'pod-template-hash', operator: 'In', values: ['5d4f8'] },
                { key: 'tenant', operator: 'NotIn', values: ['acme'] },
              ],
            },
            topologyKey: 'zone',
            matchLabelKeys: ['pod-template-hash', 'missing'],
            mismatchLabelKeys: ['tenant'],
          },
        ],
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 10,
            podAffinityTerm: {
              labelSelector: {
                matchExpressions: [
                  { key: 'app', operator: 'Exists' },
                  { key: 'tenant', operator: 'NotIn', values: ['acme'] },
                ],
              },
              topologyKey: 'zone',
              mismatchLabelKeys: ['tenant'],
            },
          },
        ],
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'pod-template-hash', operator: 'In', values: ['5d4f8'] }] },
            topologyKey: 'kubernetes.io/hostname',
            matchLabelKeys: ['pod-template-hash'],
          },
        ],
      },
    });
  });

  test('updates do not merge again, and templates are never merged', () => {
    const p = create(withAffinity(affinity, labels));
    const relabelled = structuredClone(p);
    relabelled['metadata'].labels = { ...labels, 'pod-template-hash': 'other', tenant: 'other' };
    const updated = update(p, relabelled);
    assert.deepEqual(updated['spec'].affinity, p['spec'].affinity);
    const d = create(deployment({ affinity }));
    assert.deepEqual(d['spec'].template.spec.affinity, affinity);
  });
});

// --- topology spread constraints ----------------------------------------------------------

describe('topology spread constraints', () => {
  const C = 'spec.topologySpreadConstraints';
  const selector = { matchLabels: { app: 'web' } };

  test('maxSkew, topologyKey, whenUnsatisfiable', () => {
    assert.deepEqual(causes(() => create(withSpread([{ maxSkew: 0, topologyKey: '', whenUnsatisfiable: 'Sometimes' }, { labelSelector: selector }]))), [
      `${C}[0].maxSkew: Invalid value: 0: must be greater than zero`,
      `${C}[0].topologyKey: Required value: can not be empty`,
      `${C}[0].whenUnsatisfiable: Unsupported value: "Sometimes": supported values: "DoNotSchedule", "ScheduleAnyway"`,
      `${C}[1].maxSkew: Invalid value: 0: must be greater than zero`,
      `${C}[1].topologyKey: Required value: can not be empty`,
      `${C}[1].whenUnsatisfiable: Unsupported value: "": supported values: "DoNotSchedule", "ScheduleAnyway"`,
    ]);
  });

  test('one constraint per topologyKey and whenUnsatisfiable, reported at the first', () => {
    const c = (topologyKey: string, whenUnsatisfiable: string): Json => ({ maxSkew: 1, topologyKey, whenUnsatisfiable, labelSelector: selector });
    assert.deepEqual(
      causes(() => create(withSpread([c('zone', 'ScheduleAnyway'), c('zone', 'DoNotSchedule'), c('zone', 'ScheduleAnyway'), c('zone', 'DoNotSchedule'), c('zone', 'DoNotSchedule')]))),
      [
        `${C}[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, ScheduleAnyway}"`,
        `${C}[1].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}"`,
        `${C}[3].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}"`,
      ],
    );
  });

  test('minDomains: positive, with DoNotSchedule only', () => {
    const c = (minDomains: number, whenUnsatisfiable: string): Json => ({ maxSkew: 1, minDomains, topologyKey: `k${minDomains}`, whenUnsatisfiable, labelSelector: selector });
    assert.deepEqual(causes(() => create(withSpread([c(0, 'DoNotSchedule'), c(-1, 'ScheduleAnyway'), c(2, 'ScheduleAnyway')]))), [
      `${C}[0].minDomains: Invalid value: 0: must be greater than zero`,
      `${C}[1].minDomains: Invalid value: -1: must be greater than zero`,
      `${C}[1].minDomains: Invalid value: -1: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway`,
      `${C}[2].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway`,
    ]);
  });

  test('node inclusion policies: Honor or Ignore', () => {
    const c = { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector, nodeAffinityPolicy: 'honor', nodeTaintsPolicy: '' };
    assert.deepEqual(causes(() => create(withSpread([c]))), [
      `${C}[0].nodeAffinityPolicy: Unsupported value: "honor": supported values: "Honor", "Ignore"`,
      `${C}[0].nodeTaintsPolicy: Unsupported value: "": supported values: "Honor", "Ignore"`,
    ]);
  });

  test('matchLabelKeys: label names, with a selector, not already in it; then the selector', () => {
    const base = { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' };
    assert.deepEqual(causes(() => create(withSpread([{ ...base, matchLabelKeys: ['pod-template-hash', 'bad key'] }]))), [
      `${C}[0].matchLabelKeys: Forbidden: must not be specified when labelSelector is not set`,
      `${C}[0].matchLabelKeys[1]: Invalid value: "bad key": ${QUALIFIED}`,
    ]);
    const labelSelector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a b'] }] };
    assert.deepEqual(causes(() => create(withSpread([{ ...base, labelSelector, matchLabelKeys: ['tier', 'app', 'pod-template-hash'] }]))), [
      `${C}[0].matchLabelKeys[0]: Invalid value: "tier": exists in both matchLabelKeys and labelSelector`,
      `${C}[0].matchLabelKeys[1]: Invalid value: "app": exists in both matchLabelKeys and labelSelector`,
      `${C}[0].labelSelector.matchExpressions[0].values[0]: Invalid value: "a b": ${LABEL_VALUE}`,
    ]);
  });

  test('spread constraints are not merged: the scheduler applies their matchLabelKeys (1.31)', () => {
    const c = { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector, matchLabelKeys: ['pod-template-hash'] };
    const p = create(pod({ topologySpreadConstraints: [c] }, { app: 'web', 'pod-template-hash': 'abc' }));
    assert.deepEqual(p['spec'].topologySpreadConstraints, [c]);
  });
});

// --- order, templates, updates ------------------------------------------------------------

describe('order and updates', () => {
  test("causes come in ValidatePodSpec's order: nodeSelector, affinity, dnsConfig, topologySpreadConstraints, serviceAccountName", () => {
    const spec = {
      serviceAccountName: 'Bad_SA',
      topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
      dnsPolicy: 'None',
      affinity: antiAffinity({ topologyKey: 'zone', labelSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }),
      nodeSelector: { disk: 'bad value!' },
    };
    assert.deepEqual(
      causes(() => create(pod(spec))).map((c) => c.slice(0, c.indexOf(':'))),
      [
        'spec.nodeSelector',
        `${ANTI}.labelSelector.matchExpressions[0].values`,
        'spec.dnsConfig',
        'spec.topologySpreadConstraints[0].maxSkew',
        'spec.serviceAccountName',
      ],
    );
  });

  test("a Deployment's template is checked under spec.template.spec", () => {
    const spec = { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }] } } };
    assert.deepEqual(causes(() => create(deployment(spec))), [
      'spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
    ]);
  });

  // Objects stored before these checks (by an older Bramble) stay updatable, as upstream's
  // AllowInvalidLabelValueInSelector and AllowInvalidTopologySpreadConstraintLabelSelector allow.
  test('invalid selector values the old object already had are let through on update, and only then', () => {
    const badAffinity = antiAffinity({ labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['not valid!'] }] }, topologyKey: 'zone' });
    const badSpread = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'not valid!' } } }];
    const stored = create(deployment({}));
    const old = structuredClone(stored);
    Object.assign(old['spec'].template.spec, { affinity: badAffinity, topologySpreadConstraints: badSpread });
    const scaled = structuredClone(old);
    scaled['spec'].replicas = 3;
    assert.equal(update(old, scaled)['spec'].replicas, 3);
    // Label values are spared, nothing else is.
    const worse = structuredClone(scaled);
    worse['spec'].template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey = '';
    assert.equal(causes(() => update(old, worse)).filter((c) => c.includes('values[0]')).length, 0);
    // From a valid object, the same change is refused.
    assert.deepEqual(causes(() => update(stored, scaled)), [
      `spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values[0]: Invalid value: "not valid!": ${LABEL_VALUE}`,
      `spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabels: Invalid value: "not valid!": ${LABEL_VALUE}`,
    ]);
  });

  test("a pod's affinity and spread constraints cannot change", () => {
    const p = create(pod({}));
    const changed = structuredClone(p);
    changed['spec'].affinity = antiAffinity({ labelSelector: {}, topologyKey: 'zone' });
    assert.deepEqual(causes(() => update(p, changed)), [`spec: Forbidden: ${UPDATABLE}`]);
    const spread = structuredClone(p);
    spread['spec'].topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }];
    assert.deepEqual(causes(() => update(p, spread)), [`spec: Forbidden: ${UPDATABLE}`]);
  });
});

describe('a gated pod may narrow its nodeSelector and node affinity', () => {
  const gated = (spec: Json = {}): Json => create(pod({ schedulingGates: [{ name: 'example.com/wait' }], ...spec }));
  const required = (nodeSelectorTerms: Json[]): Json => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } });
  const changed = (p: Json, edit: (spec: Json) => void): Json => {
    const next = structuredClone(p);
    edit(next['spec']);
    return next;
  };

  test('nodeSelector: additions only', () => {
    const p = gated({ nodeSelector: { disk: 'ssd' } });
    assert.deepEqual(update(p, changed(p, (s) => (s.nodeSelector.zone = 'a')))['spec'].nodeSelector, { disk: 'ssd', zone: 'a' });
    assert.deepEqual(causes(() => update(p, changed(p, (s) => (s.nodeSelector = { disk: 'hdd', zone: 'a' })))), [
      'spec.nodeSelector: Invalid value: map[string]string{"disk":"hdd", "zone":"a"}: only additions to spec.nodeSelector are allowed (no mutations or deletions)',
    ]);
    assert.deepEqual(causes(() => update(p, changed(p, (s) => delete s.nodeSelector))), [
      'spec.nodeSelector: Invalid value: map[string]string(nil): only additions to spec.nodeSelector are allowed (no mutations or deletions)',
    ]);
  });

  test('node affinity: anything where there was none, then only more requirements in the same terms', () => {
    const p = gated();
    const narrowed = update(p, changed(p, (s) => (s.affinity = required([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }]))));
    const again = update(narrowed, changed(narrowed, (s) => s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions.push({ key: 'disk', operator: 'Exists' })));
    assert.equal(again['spec'].affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions.length, 2);
    const terms = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
    assert.deepEqual(causes(() => update(again, changed(again, (s) => s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.push({ matchFields: [] })))), [
      `${terms}: Invalid value: []core.NodeSelectorTerm{core.NodeSelectorTerm{MatchExpressions:[]core.NodeSelectorRequirement{core.NodeSelectorRequirement{Key:"zone", Operator:"In", Values:[]string{"a"}}, core.NodeSelectorRequirement{Key:"disk", Operator:"Exists", Values:[]string(nil)}}, MatchFields:[]core.NodeSelectorRequirement(nil)}, core.NodeSelectorTerm{MatchExpressions:[]core.NodeSelectorRequirement(nil), MatchFields:[]core.NodeSelectorRequirement{}}}: no additions/deletions to non-empty NodeSelectorTerms list are allowed`,
    ]);
    assert.deepEqual(causes(() => update(again, changed(again, (s) => (s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values = ['b'])))), [
      `${terms}[0]: Invalid value: core.NodeSelectorTerm{MatchExpressions:[]core.NodeSelectorRequirement{core.NodeSelectorRequirement{Key:"zone", Operator:"In", Values:[]string{"b"}}, core.NodeSelectorRequirement{Key:"disk", Operator:"Exists", Values:[]string(nil)}}, MatchFields:[]core.NodeSelectorRequirement(nil)}: only additions are allowed (no mutations or deletions)`,
    ]);
    // Preferred terms are free while gated; pod affinity is not.
    update(again, changed(again, (s) => (s.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 1, preference: {} }])));
    assert.deepEqual(causes(() => update(again, changed(again, (s) => (s.affinity.podAffinity = { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {}, topologyKey: 'zone' }] })))), [
      `spec: Forbidden: ${UPDATABLE}`,
    ]);
  });

  test('once the gates are gone, and for pods that never had any, they are immutable', () => {
    const p = gated({ nodeSelector: { disk: 'ssd' } });
    const ungated = update(p, changed(p, (s) => delete s.schedulingGates));
    assert.deepEqual(causes(() => update(ungated, changed(ungated, (s) => (s.nodeSelector.zone = 'a')))), [`spec: Forbidden: ${UPDATABLE}`]);
    // Lifting the gate and narrowing in one update is allowed: the old pod was gated.
    update(p, changed(p, (s) => {
      delete s.schedulingGates;
      s.nodeSelector.zone = 'a';
    }));
    const plain = create(pod({}));
    assert.deepEqual(causes(() => update(plain, changed(plain, (s) => (s.affinity = required([{}]))))), [`spec: Forbidden: ${UPDATABLE}`]);
  });
});
