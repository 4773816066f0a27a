import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../server/api/objects.js';
import {
  checkFieldSelector,
  labelSelectorFromObject,
  parseFieldSelector,
  parseLabelSelector,
  selectableFields,
  SelectorError,
} from '../../server/api/selectors.js';

const keyRule =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const valueRule =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('label selector strings', () => {
  const labels = { app: 'web', tier: 'front', size: '10', empty: '' };

  test('every operator', () => {
    const cases: [string, boolean][] = [
      ['app=web', true],
      ['app==web', true],
      ['app=db', false],
      ['app!=db', true],
      ['app!=web', false],
      ['missing!=x', true],
      ['app in (db,web)', true],
      ['app in (db)', false],
      ['missing in (db)', false],
      ['app notin (db,cache)', true],
      ['app notin (web)', false],
      ['missing notin (web)', true],
      ['app', true],
      ['missing', false],
      ['!missing', true],
      ['!app', false],
      ['size>9', true],
      ['size>10', false],
      ['size<11', true],
      ['app<11', false],
      ['missing>1', false],
      ['empty=', true],
      ['empty in ()', true],
      ['app in (,web)', true],
      ['', true],
    ];
    for (const [selector, expected] of cases) assert.equal(parseLabelSelector(selector).matches(labels), expected, selector);
  });

  test('commas AND requirements; whitespace is tolerated', () => {
    assert.ok(parseLabelSelector('  app = web ,tier in ( front , back ),!missing  ').matches(labels));
    assert.ok(!parseLabelSelector('app=web,tier=back').matches(labels));
    assert.ok(parseLabelSelector('app\tin\n(web)').matches(labels));
  });

  test('"in" and "notin" are plain words where a value is expected', () => {
    assert.ok(parseLabelSelector('mode in (in,notin)').matches({ mode: 'notin' }));
    assert.ok(parseLabelSelector('mode=in').matches({ mode: 'in' }));
  });

  test('no labels at all', () => {
    assert.ok(parseLabelSelector('').matches(undefined));
    assert.ok(parseLabelSelector('!a,b notin (c)').matches(undefined));
    assert.ok(!parseLabelSelector('a').matches(undefined));
  });

  test('qualified keys with a DNS subdomain prefix', () => {
    assert.ok(parseLabelSelector('app.kubernetes.io/name=web').matches({ 'app.kubernetes.io/name': 'web' }));
    assert.ok(parseLabelSelector('kubernetes.io/cluster-service=true').matches({ 'kubernetes.io/cluster-service': 'true' }));
  });

  test('syntax errors, with upstream messages', () => {
    const bad: [string, string][] = [
      ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
      ['a=b,', "found '', expected: identifier after ','"],
      [',a', "found ',', expected: !, identifier, or 'end of string'"],
      ['a=b c', "found 'c', expected: ',' or 'end of string'"],
      ['a=b=c', "found '=', expected: ',' or 'end of string'"],
      ['!a=b', "found '=', expected: ',' or 'end of string'"],
      ['a in b', "unable to parse requirement: found 'b' expected: '('"],
      ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
      ['a in (b,', "unable to parse requirement: found '', expected: ',', or identifier"],
      ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
      ['a=(', "unable to parse requirement: found '(', expected: identifier"],
      ['!', "unable to parse requirement: found '', expected: identifier"],
      ['a,(', "found '(', expected: identifier after ','"],
    ];
    for (const [selector, message] of bad) assert.throws(() => parseLabelSelector(selector), { name: 'SelectorError', message }, selector);
  });

  test('keys and values are validated like upstream', () => {
    const bad: [string, string][] = [
      ['-a=b', `unable to parse requirement: <nil>: Invalid value: "-a": ${keyRule}`],
      ['a=-b', `unable to parse requirement: values[0][a]: Invalid value: "-b": ${valueRule}`],
      [`${'k'.repeat(64)}`, `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`],
      [`a=${'v'.repeat(64)}`, `unable to parse requirement: values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`],
      [
        'Example.com/a',
        "unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
      ['/a', 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'],
      ['a/', `unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; ${keyRule}`],
      [
        'a/b/c',
        "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
      ['a>b', `unable to parse requirement: values[0]: Invalid value: "b": for 'Gt', 'Lt' operators, the value must be an integer`],
      [
        'a<b_',
        `unable to parse requirement: [values[0]: Invalid value: "b_": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: "b_": ${valueRule}]`,
      ],
    ];
    for (const [selector, message] of bad) assert.throws(() => parseLabelSelector(selector), { name: 'SelectorError', message }, selector);
    assert.ok(parseLabelSelector(`${'a'.repeat(253)}/${'k'.repeat(63)}=${'v'.repeat(63)}`).matches({ [`${'a'.repeat(253)}/${'k'.repeat(63)}`]: 'v'.repeat(63) }));
  });
});

describe('metav1.LabelSelector', () => {
  test('matchLabels and matchExpressions are ANDed', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'edge'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'owner', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    assert.ok(sel.matches({ app: 'web', tier: 'edge', owner: 'me' }));
    assert.ok(sel.matches({ app: 'web', tier: 'front', env: 'prod', owner: '' }));
    assert.ok(!sel.matches({ app: 'web', tier: 'front', env: 'dev', owner: 'me' }));
    assert.ok(!sel.matches({ app: 'web', tier: 'front', owner: 'me', legacy: 'y' }));
    assert.ok(!sel.matches({ app: 'web', tier: 'back', owner: 'me' }));
    assert.ok(!sel.matches({ app: 'db', tier: 'front', owner: 'me' }));
    assert.ok(!sel.matches(undefined));
  });

  test('an empty selector selects everything', () => {
    assert.ok(labelSelectorFromObject({}).matches(undefined));
    assert.ok(labelSelectorFromObject({ matchLabels: {}, matchExpressions: [] }).matches({ a: 'b' }));
  });

  test('invalid selectors', () => {
    const bad: [Parameters<typeof labelSelectorFromObject>[0], string][] = [
      [{ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }, '"Equals" is not a valid label selector operator'],
      [{ matchExpressions: [{ key: 'a', operator: 'constructor' }] }, '"constructor" is not a valid label selector operator'],
      [{ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"],
      [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'],
      [{ matchLabels: { 'a b': 'c' } }, `key: Invalid value: "a b": ${keyRule}`],
      [{ matchLabels: { a: 'b c' } }, `values[0][a]: Invalid value: "b c": ${valueRule}`],
    ];
    for (const [sel, message] of bad) assert.throws(() => labelSelectorFromObject(sel), { name: 'SelectorError', message });
  });
});

describe('field selector strings', () => {
  test('=, == and != joined by commas, sorted as upstream', () => {
    const sel = parseFieldSelector('status.phase!=Failed,metadata.name==web-1,spec.nodeName=n1');
    assert.deepEqual(sel.requirements, [
      { field: 'metadata.name', op: '=', value: 'web-1' },
      { field: 'spec.nodeName', op: '=', value: 'n1' },
      { field: 'status.phase', op: '!=', value: 'Failed' },
    ]);
    assert.ok(sel.matches({ 'metadata.name': 'web-1', 'spec.nodeName': 'n1', 'status.phase': 'Running' }));
    assert.ok(!sel.matches({ 'metadata.name': 'web-1', 'spec.nodeName': 'n1', 'status.phase': 'Failed' }));
    assert.ok(!sel.matches({ 'metadata.name': 'web-2', 'spec.nodeName': 'n1', 'status.phase': 'Running' }));
  });

  test('a field the object does not have is the empty string', () => {
    assert.ok(parseFieldSelector('spec.nodeName=').matches({}));
    assert.ok(parseFieldSelector('spec.nodeName!=n1').matches({}));
    assert.ok(parseFieldSelector('toString=').matches({}));
  });

  test('empty selectors and empty terms select everything', () => {
    assert.deepEqual(parseFieldSelector('').requirements, []);
    assert.deepEqual(parseFieldSelector('=').requirements, []);
    assert.deepEqual(parseFieldSelector(',a=b,').requirements, [{ field: 'a', op: '=', value: 'b' }]);
  });

  test('backslash escapes in values', () => {
    assert.deepEqual(parseFieldSelector('a=x\\,y,b=1\\=2,c=back\\\\slash').requirements, [
      { field: 'a', op: '=', value: 'x,y' },
      { field: 'b', op: '=', value: '1=2' },
      { field: 'c', op: '=', value: 'back\\slash' },
    ]);
    assert.ok(parseFieldSelector('metadata.name=a\\,b').matches({ 'metadata.name': 'a,b' }));
  });

  test('bad field selectors', () => {
    const bad: [string, string][] = [
      ['abc', "invalid selector: 'abc'; can't understand 'abc'"],
      ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
      ['a=x\\y', 'invalid field selector: invalid escape sequence: \\y'],
      ['a=x\\', 'invalid field selector: invalid escape sequence: \\'],
      ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ];
    for (const [selector, message] of bad) assert.throws(() => parseFieldSelector(selector), { name: 'SelectorError', message }, selector);
  });

  test('spaces are not trimmed', () => {
    assert.deepEqual(parseFieldSelector('metadata.name = a').requirements, [{ field: 'metadata.name ', op: '=', value: ' a' }]);
  });
});

describe('selectable fields', () => {
  const pod = (name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec,
    status,
  });

  test('pods: spec.nodeName and the rest', () => {
    const p = pod('web-1', { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default' }, {
      phase: 'Running',
      podIP: '10.42.0.5',
      podIPs: [{ ip: '10.42.0.5' }, { ip: 'fd00::5' }],
    });
    assert.deepEqual(selectableFields('', 'Pod', p), {
      'metadata.name': 'web-1',
      'metadata.namespace': 'default',
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default',
      'spec.hostNetwork': 'false',
      'status.phase': 'Running',
      'status.podIP': '10.42.0.5',
      'status.nominatedNodeName': '',
    });
    assert.equal(selectableFields('', 'Pod', pod('x', { hostNetwork: true }, { podIP: '10.0.0.9' }))['status.podIP'], '10.0.0.9');
    assert.equal(selectableFields('', 'Pod', pod('x', { hostNetwork: true }))['spec.hostNetwork'], 'true');
  });

  test('listing the pods of a node, and the unscheduled ones', () => {
    const pods = [pod('a', { nodeName: 'n1' }), pod('b', { nodeName: 'n2' }), pod('c', {}), pod('d', { nodeName: 'n1' })];
    const select = (s: string): string[] => {
      const sel = parseFieldSelector(s);
      checkFieldSelector(sel, '', 'Pod');
      return pods.filter((p) => sel.matches(selectableFields('', 'Pod', p))).map((p) => p.metadata.name ?? '');
    };
    assert.deepEqual(select('spec.nodeName=n1'), ['a', 'd']);
    assert.deepEqual(select('spec.nodeName='), ['c']);
    assert.deepEqual(select('spec.nodeName!=n1,metadata.name!=c'), ['b']);
    assert.deepEqual(select('metadata.name=b,metadata.namespace=default'), ['b']);
  });

  test('events, secrets, nodes, namespaces, jobs, replica sets, services', () => {
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1', apiVersion: 'v1', resourceVersion: '7', fieldPath: 'spec.containers{web}' },
      reason: 'Pulled',
      reportingComponent: 'kubelet',
      type: 'Normal',
    };
    assert.deepEqual(selectableFields('', 'Event', event), {
      'metadata.name': 'e',
      'metadata.namespace': 'default',
      'involvedObject.kind': 'Pod',
      'involvedObject.namespace': 'default',
      'involvedObject.name': 'web-1',
      'involvedObject.uid': 'u1',
      'involvedObject.apiVersion': 'v1',
      'involvedObject.resourceVersion': '7',
      'involvedObject.fieldPath': 'spec.containers{web}',
      reason: 'Pulled',
      reportingComponent: 'kubelet',
      source: 'kubelet',
      type: 'Normal',
    });
    assert.equal(selectableFields('', 'Event', { ...event, source: { component: 'scheduler' } }).source, 'scheduler');
    const meta = { name: 'x' };
    assert.equal(selectableFields('', 'Secret', { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/tls' }).type, 'kubernetes.io/tls');
    assert.deepEqual(selectableFields('', 'Node', { apiVersion: 'v1', kind: 'Node', metadata: meta, spec: { unschedulable: true } }), {
      'metadata.name': 'x',
      'spec.unschedulable': 'true',
    });
    assert.deepEqual(selectableFields('', 'Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: meta, status: { phase: 'Active' } }), {
      'metadata.name': 'x',
      'status.phase': 'Active',
    });
    assert.equal(selectableFields('batch', 'Job', { apiVersion: 'batch/v1', kind: 'Job', metadata: meta, status: { succeeded: 2 } })['status.successful'], '2');
    assert.equal(selectableFields('batch', 'Job', { apiVersion: 'batch/v1', kind: 'Job', metadata: meta })['status.successful'], '0');
    assert.equal(selectableFields('apps', 'ReplicaSet', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta, status: { replicas: 3 } })['status.replicas'], '3');
    const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: meta, spec: { type: 'NodePort', clusterIP: '10.43.0.10' } };
    assert.equal(selectableFields('', 'Service', svc)['spec.clusterIP'], '10.43.0.10');
    assert.deepEqual(selectableFields('', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } }), {
      'metadata.name': 'c',
      'metadata.namespace': 'ns',
    });
  });

  test('unsupported fields are rejected', () => {
    const check = (s: string, group: string, kind: string): void => checkFieldSelector(parseFieldSelector(s), group, kind);
    check('spec.nodeName=n1,status.phase=Running,spec.hostNetwork=false', '', 'Pod');
    check('involvedObject.name=web-1,involvedObject.kind=Pod,type=Warning', '', 'Event');
    check('metadata.name=x,metadata.namespace=y', 'apps', 'Deployment');
    check('spec.unschedulable=true', '', 'Node');
    assert.throws(() => check('spec.foo=x', '', 'Pod'), { name: 'SelectorError', message: 'field label not supported: spec.foo' });
    assert.throws(() => check('spec.replicas=1', 'apps', 'Deployment'), { message: 'field label not supported: spec.replicas' });
    assert.throws(() => check('metadata.namespace=x', '', 'Node'), { message: 'field label not supported: metadata.namespace' });
    // events.k8s.io converts its field labels to core's, so it takes the same ones.
    check('involvedObject.name=web-1,reportingComponent=kubelet,source=kubelet', 'events.k8s.io', 'Event');
    assert.throws(() => check('regarding.name=x', 'events.k8s.io', 'Event'), SelectorError);
    assert.throws(() => check('toString=x', '', 'ConfigMap'), SelectorError);
  });
});
