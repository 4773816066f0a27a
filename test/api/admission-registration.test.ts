// admissionregistration.k8s.io/v1 as upstream 1.31 has it: webhook
// configurations and admission policies served (discovery), defaulted and
// validated with the exact field and message kubectl prints, their caBundle
// decoded as Go decodes []byte, the relaxed rules of an update, kubectl's
// columns, and the webhook configurations real charts ship passing.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { BUILTIN_RESOURCES } from '../../server/api/catalogue.js';
import type { KubeObject } from '../../server/api/objects.js';
import type { ApiError } from '../../server/api/status.js';
import { toTable } from '../../server/api/table/table.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { causes, create, type Json, refusal, update } from '../helpers/kind-rules.js';

const V1 = 'admissionregistration.k8s.io/v1';
const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const URL_FORM = '; desired format: https://host[/path]';

// --- manifests ----------------------------------------------------------------

/** A PEM CA bundle, as charts (and cert-manager's cainjector) put it: base64 of the PEM text. */
const CA_BUNDLE = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----\n').toString('base64');

const hook = (extra: Json = {}): Json => ({
  name: 'check.example.com',
  admissionReviewVersions: ['v1'],
  sideEffects: 'None',
  clientConfig: { service: { namespace: 'hooks', name: 'checker' } },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  ...extra,
});
const validating = (...webhooks: Json[]): Json => ({ apiVersion: V1, kind: 'ValidatingWebhookConfiguration', metadata: { name: 'checks' }, webhooks });
const mutating = (...webhooks: Json[]): Json => ({ apiVersion: V1, kind: 'MutatingWebhookConfiguration', metadata: { name: 'mutations' }, webhooks });
/** The causes of the 422 a write ends in; none when it passes. */
function causesOf(write: () => unknown): string[] {
  try {
    write();
  } catch {
    return causes(write);
  }
  return [];
}
/** Causes of creating a validating configuration with one webhook changed by `extra`. */
const hookCauses = (extra: Json): string[] => causesOf(() => create(validating(hook(extra))));

/** ingress-nginx's chart (controller 1.11), its caBundle patched in by the chart's certgen job. */
const INGRESS_NGINX: Json = {
  apiVersion: V1,
  kind: 'ValidatingWebhookConfiguration',
  metadata: { name: 'ingress-nginx-admission', labels: { 'app.kubernetes.io/component': 'admission-webhook', 'app.kubernetes.io/name': 'ingress-nginx' } },
  webhooks: [
    {
      name: 'validate.nginx.ingress.kubernetes.io',
      matchPolicy: 'Equivalent',
      rules: [{ apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['ingresses'] }],
      failurePolicy: 'Fail',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      clientConfig: { service: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller-admission', path: '/networking/v1/ingresses', port: 443 }, caBundle: CA_BUNDLE },
    },
  ],
};

const CERT_MANAGER_WEBHOOK = {
  admissionReviewVersions: ['v1'],
  matchPolicy: 'Equivalent',
  timeoutSeconds: 30,
  failurePolicy: 'Fail',
  sideEffects: 'None',
};

/** cert-manager's chart (1.15): both configurations, the CA injected from a Secret by its cainjector. */
const CERT_MANAGER: Json[] = [
  {
    apiVersion: V1,
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'cert-manager-webhook', annotations: { 'cert-manager.io/inject-ca-from-secret': 'cert-manager/cert-manager-webhook-ca' } },
    webhooks: [
      {
        name: 'webhook.cert-manager.io',
        namespaceSelector: { matchExpressions: [{ key: 'cert-manager.io/disable-validation', operator: 'NotIn', values: ['true'] }] },
        rules: [{ apiGroups: ['cert-manager.io', 'acme.cert-manager.io'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['*/*'] }],
        ...CERT_MANAGER_WEBHOOK,
        clientConfig: { service: { name: 'cert-manager-webhook', namespace: 'cert-manager', path: '/validate' } },
      },
    ],
  },
  {
    apiVersion: V1,
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'cert-manager-webhook', annotations: { 'cert-manager.io/inject-ca-from-secret': 'cert-manager/cert-manager-webhook-ca' } },
    webhooks: [
      {
        name: 'webhook.cert-manager.io',
        rules: [{ apiGroups: ['cert-manager.io'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['certificaterequests'] }],
        ...CERT_MANAGER_WEBHOOK,
        clientConfig: { service: { name: 'cert-manager-webhook', namespace: 'cert-manager', path: '/mutate' } },
      },
    ],
  },
];

const policy = (spec: Json, name = 'replicas'): Json => ({ apiVersion: V1, kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec });
const binding = (spec: Json): Json => ({ apiVersion: V1, kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'replicas-binding' }, spec });
const DEPLOYMENTS = { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] };
const MAX_REPLICAS = { matchConstraints: DEPLOYMENTS, validations: [{ expression: 'object.spec.replicas <= 5' }] };

// --- serving --------------------------------------------------------------------

test('served as upstream: four cluster-scoped kinds in the api-extensions category, policies with a status subresource', () => {
  const types = BUILTIN_RESOURCES.filter((r) => r.group === 'admissionregistration.k8s.io');
  assert.deepEqual(
    types.map((r) => [r.version, r.plural, r.kind, r.namespaced, r.shortNames, r.categories, r.subresources.map((s) => s.name)]),
    [
      ['v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false, [], ['api-extensions'], []],
      ['v1', 'validatingadmissionpolicies', 'ValidatingAdmissionPolicy', false, [], ['api-extensions'], ['status']],
      ['v1', 'validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', false, [], ['api-extensions'], []],
      ['v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false, [], ['api-extensions'], []],
    ],
  );
});

// --- webhook configurations ------------------------------------------------------

test('webhooks get v1’s defaults (Fail, Equivalent, empty selectors, 10 s, port 443, every scope; Never for mutating ones); sideEffects and review versions get none', () => {
  const made = create(validating(hook()));
  assert.equal(made['webhooks'][0].reinvocationPolicy, undefined);
  assert.deepEqual(made['webhooks'], [
    {
      name: 'check.example.com',
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      clientConfig: { service: { namespace: 'hooks', name: 'checker', port: 443 } },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      timeoutSeconds: 10,
    },
  ]);
  assert.equal(create(mutating(hook()))['webhooks'][0].reinvocationPolicy, 'Never');
  // What a chart sets stays.
  const set = create(mutating(hook({ failurePolicy: 'Ignore', matchPolicy: 'Exact', timeoutSeconds: 5, reinvocationPolicy: 'IfNeeded', clientConfig: { url: 'https://hooks.example.com/mutate' } })));
  assert.deepEqual(
    [set['webhooks'][0].failurePolicy, set['webhooks'][0].matchPolicy, set['webhooks'][0].timeoutSeconds, set['webhooks'][0].reinvocationPolicy, set['webhooks'][0].clientConfig],
    ['Ignore', 'Exact', 5, 'IfNeeded', { url: 'https://hooks.example.com/mutate' }],
  );
  assert.deepEqual(create(validating())['webhooks'], [], 'a configuration without webhooks is valid');
});

test('the webhook configurations of ingress-nginx’s and cert-manager’s charts pass as they ship', () => {
  const nginx = create(INGRESS_NGINX);
  assert.equal(nginx['webhooks'][0].clientConfig.caBundle, CA_BUNDLE);
  assert.equal(nginx['webhooks'][0].timeoutSeconds, 10);
  for (const manifest of CERT_MANAGER) {
    const made = create(manifest);
    assert.equal(made['webhooks'][0].timeoutSeconds, 30);
    assert.equal(made['webhooks'][0].clientConfig.caBundle, undefined);
  }
});

test('caBundle is []byte: base64 as Go decodes it (line breaks skipped), written back canonically; empty or null it is gone; bad base64 or another JSON type is a 400', () => {
  const withBundle = (caBundle: unknown) => create(validating(hook({ clientConfig: { service: { namespace: 'hooks', name: 'checker' }, caBundle } })))['webhooks'][0].clientConfig;
  assert.equal(withBundle(`${CA_BUNDLE.slice(0, 20)}\n${CA_BUNDLE.slice(20)}`).caBundle, CA_BUNDLE);
  assert.equal('caBundle' in withBundle(''), false);
  assert.equal('caBundle' in withBundle(null), false);
  const decodeFailure = (caBundle: unknown) => (refusal(() => withBundle(caBundle), 400) as ApiError).message;
  const prefix = 'ValidatingWebhookConfiguration in version "v1" cannot be handled as a ValidatingWebhookConfiguration: ';
  assert.equal(decodeFailure('Zm9v!'), `${prefix}illegal base64 data at input byte 4`);
  // Go's decoder takes a JSON array of bytes too; other JSON types are its type errors.
  assert.equal(withBundle([102, 111, 111]).caBundle, 'Zm9v');
  assert.equal(decodeFailure(42), `${prefix}json: cannot unmarshal number into Go struct field WebhookClientConfig.webhooks.clientConfig.caBundle of type []uint8`);
  assert.equal(decodeFailure({}), `${prefix}json: cannot unmarshal object into Go struct field WebhookClientConfig.webhooks.clientConfig.caBundle of type []uint8`);
  assert.equal(decodeFailure([1, 256]), `${prefix}json: cannot unmarshal number 256 into Go struct field WebhookClientConfig.webhooks.clientConfig.caBundle of type uint8`);
});

test('webhook names: fully qualified (a DNS subdomain of three segments), each once', () => {
  assert.deepEqual(hookCauses({ name: '' }), ['webhooks[0].name: Required value']);
  assert.deepEqual(hookCauses({ name: 'Check.example.com' }), [`webhooks[0].name: Invalid value: "Check.example.com": ${SUBDOMAIN}`]);
  assert.deepEqual(hookCauses({ name: 'example.com' }), ['webhooks[0].name: Invalid value: "example.com": should be a domain with at least three segments separated by dots']);
  assert.deepEqual(causes(() => create(validating(hook(), hook(), hook({ name: 'other.example.com' }), hook()))), [
    'webhooks[1].name: Duplicate value: "check.example.com"',
    'webhooks[3].name: Duplicate value: "check.example.com"',
  ]);
});

test('admissionReviewVersions: required, DNS-1035 labels each once, one of v1 and v1beta1 among them', () => {
  assert.deepEqual(hookCauses({ admissionReviewVersions: [] }), ['webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1']);
  assert.deepEqual(hookCauses({ admissionReviewVersions: undefined }), ['webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1']);
  assert.deepEqual(hookCauses({ admissionReviewVersions: ['v1', 'v1beta1', 'v1'] }), ['webhooks[0].admissionReviewVersions[2]: Invalid value: "v1": duplicate version']);
  assert.deepEqual(hookCauses({ admissionReviewVersions: ['V2', 'v3'] }), [
    `webhooks[0].admissionReviewVersions[0]: Invalid value: "V2": ${DNS1035}`,
    'webhooks[0].admissionReviewVersions: Invalid value: []string{"V2", "v3"}: must include at least one of v1, v1beta1',
  ]);
});

test('sideEffects None or NoneOnDryRun, required; failurePolicy, matchPolicy, timeoutSeconds 1–30, reinvocationPolicy of mutating webhooks', () => {
  assert.deepEqual(hookCauses({ sideEffects: undefined }), ['webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun']);
  assert.deepEqual(hookCauses({ sideEffects: 'Some' }), ['webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"']);
  assert.deepEqual(hookCauses({ sideEffects: 'NoneOnDryRun' }), []);
  assert.deepEqual(hookCauses({ failurePolicy: 'Retry', matchPolicy: 'Loose', timeoutSeconds: 31 }), [
    'webhooks[0].failurePolicy: Unsupported value: "Retry": supported values: "Fail", "Ignore"',
    'webhooks[0].matchPolicy: Unsupported value: "Loose": supported values: "Equivalent", "Exact"',
    'webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
  ]);
  assert.deepEqual(hookCauses({ timeoutSeconds: 0 }), ['webhooks[0].timeoutSeconds: Invalid value: 0: the timeout value must be between 1 and 30 seconds']);
  assert.deepEqual(causes(() => create(mutating(hook({ reinvocationPolicy: 'Always' })))), [
    'webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"',
  ]);
  // A validating webhook has no reinvocationPolicy to check.
  assert.deepEqual(hookCauses({ reinvocationPolicy: 'Always' }), []);
});

test('rules: operations, groups, versions and resources required, "*" alone, resources that do not overlap, a known scope', () => {
  const rule = (r: Json) => hookCauses({ rules: [r] });
  assert.deepEqual(rule({}), [
    'webhooks[0].rules[0].operations: Required value',
    'webhooks[0].rules[0].apiGroups: Required value',
    'webhooks[0].rules[0].apiVersions: Required value',
    'webhooks[0].rules[0].resources: Required value',
  ]);
  assert.deepEqual(rule({ operations: ['*', 'CREATE', 'PATCH'], apiGroups: ['*', 'apps'], apiVersions: ['*', ''], resources: ['pods'], scope: 'Global' }), [
    'webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{"*", "CREATE", "PATCH"}: if \'*\' is present, must not specify other operations',
    'webhooks[0].rules[0].operations[2]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
    'webhooks[0].rules[0].apiGroups: Invalid value: []string{"*", "apps"}: if \'*\' is present, must not specify other API groups',
    'webhooks[0].rules[0].apiVersions: Invalid value: []string{"*", ""}: if \'*\' is present, must not specify other API versions',
    'webhooks[0].rules[0].apiVersions[1]: Required value',
    'webhooks[0].rules[0].scope: Unsupported value: "Global": supported values: "*", "Cluster", "Namespaced"',
  ]);
  const resources = (list: string[]) => rule({ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: list });
  assert.deepEqual(resources(['pods/*', 'pods/log', '*/status', 'deployments/status', '']), [
    "webhooks[0].rules[0].resources[1]: Invalid value: \"pods/log\": if 'pods/*' is present, must not specify pods/log",
    "webhooks[0].rules[0].resources[3]: Invalid value: \"deployments/status\": if '*/status' is present, must not specify deployments/status",
    'webhooks[0].rules[0].resources[4]: Required value',
  ]);
  assert.deepEqual(resources(['*/*', 'pods']), ['webhooks[0].rules[0].resources: Invalid value: []string{"*/*", "pods"}: if \'*/*\' is present, must not specify other resources']);
  assert.deepEqual(resources(['*', 'pods']), [
    'webhooks[0].rules[0].resources: Invalid value: []string{"*", "pods"}: if \'*\' is present, must not specify other resources without subresources',
  ]);
  // Upstream's quirk: only the last resource without a subresource counts.
  assert.deepEqual(resources(['pods', '*']), []);
  assert.deepEqual(resources(['*', 'pods/log', '*/*']), ['webhooks[0].rules[0].resources: Invalid value: []string{"*", "pods/log", "*/*"}: if \'*/*\' is present, must not specify other resources']);
});

test('clientConfig: exactly one of url and service; the URL https with a host and no user, query or fragment, as Go parses it', () => {
  const client = (clientConfig: Json) => hookCauses({ clientConfig });
  const required = ['webhooks[0].clientConfig: Required value: exactly one of url or service is required'];
  assert.deepEqual(client({}), required);
  assert.deepEqual(client({ url: 'https://hooks.example.com', service: { namespace: 'hooks', name: 'checker' } }), required);
  assert.deepEqual(client({ url: 'http://user:secret@hooks.example.com:8443/check?debug=1#top' }), [
    `webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme${URL_FORM}`,
    'webhooks[0].clientConfig.url: Invalid value: "user:secret": user information is not permitted in the URL',
    'webhooks[0].clientConfig.url: Invalid value: "top": fragments are not permitted in the URL',
    'webhooks[0].clientConfig.url: Invalid value: "debug=1": query parameters are not permitted in the URL',
  ]);
  assert.deepEqual(client({ url: 'https:///check' }), [`webhooks[0].clientConfig.url: Invalid value: "": host must be provided${URL_FORM}`]);
  assert.deepEqual(client({ url: '' }), [
    `webhooks[0].clientConfig.url: Invalid value: "": 'https' is the only allowed URL scheme${URL_FORM}`,
    `webhooks[0].clientConfig.url: Invalid value: "": host must be provided${URL_FORM}`,
  ]);
  assert.deepEqual(client({ url: 'HTTPS://hooks.example.com/check' }), [], 'the scheme is compared in lower case');
  assert.deepEqual(client({ url: 'https://[fd00::1]:8443/check' }), []);
  // url.Parse's own errors.
  for (const [url, error] of [
    ['://hooks', 'parse "://hooks": missing protocol scheme'],
    ['https://hooks example.com/', 'parse "https://hooks example.com/": invalid character " " in host name'],
    ['https://hooks.example.com:https/', 'parse "https://hooks.example.com:https/": invalid port ":https" after host'],
    ['https://[fd00::1/', 'parse "https://[fd00::1/": missing \']\' in host'],
    ['https://hooks.example.com/%zz', 'parse "https://hooks.example.com/%zz": invalid URL escape "%zz"'],
    ['https://hooks.example.com/#%g', 'parse "https://hooks.example.com/#%g": invalid URL escape "%g"'],
    ['https://u{ser}@hooks.example.com/', 'parse "https://u{ser}@hooks.example.com/": net/url: invalid userinfo'],
    ['https://hooks.example.com/\t', 'parse "https://hooks.example.com/\\t": net/url: invalid control character in URL'],
    ['8443:check', 'parse "8443:check": first path segment in URL cannot contain colon'],
  ] as const) {
    assert.deepEqual(client({ url }), [`webhooks[0].clientConfig.url: Required value: url must be a valid URL: ${error}${URL_FORM}`], url);
  }
  // A rootless path after a scheme is opaque: no host.
  assert.deepEqual(client({ url: 'hooks:8443/check' }), [
    `webhooks[0].clientConfig.url: Invalid value: "hooks": 'https' is the only allowed URL scheme${URL_FORM}`,
    `webhooks[0].clientConfig.url: Invalid value: "": host must be provided${URL_FORM}`,
  ]);
});

test('clientConfig.service: a name and namespace, a valid port, a path of DNS-subdomain segments', () => {
  const service = (s: Json) => hookCauses({ clientConfig: { service: s } });
  assert.deepEqual(service({ port: 0 }), [
    'webhooks[0].clientConfig.service.name: Required value: service name is required',
    'webhooks[0].clientConfig.service.namespace: Required value: service namespace is required',
    'webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive',
  ]);
  const path = (p: string) => service({ namespace: 'hooks', name: 'checker', path: p });
  assert.deepEqual(path('/'), []);
  assert.deepEqual(path('/validate/pods/'), [], 'one trailing slash is allowed');
  assert.deepEqual(path('//'), ['webhooks[0].clientConfig.service.path: Invalid value: "//": segment[0] may not be empty']);
  // Upstream drops the first character before it splits, a slash or not.
  assert.deepEqual(path('validate/Pods'), [
    "webhooks[0].clientConfig.service.path: Invalid value: \"validate/Pods\": must start with a '/'",
    `webhooks[0].clientConfig.service.path: Invalid value: "validate/Pods": segment[1]: ${SUBDOMAIN}`,
  ]);
  assert.deepEqual(path('/a//Check_Pods'), [
    'webhooks[0].clientConfig.service.path: Invalid value: "/a//Check_Pods": segment[1] may not be empty',
    `webhooks[0].clientConfig.service.path: Invalid value: "/a//Check_Pods": segment[2]: ${SUBDOMAIN}`,
  ]);
});

test('selectors as label selectors; match conditions named once with an expression, 64 at most (their CEL is not compiled)', () => {
  assert.deepEqual(
    hookCauses({
      namespaceSelector: { matchLabels: { 'bad key': 'x' } },
      objectSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] },
    }),
    [
      `webhooks[0].namespaceSelector.matchLabels: Invalid value: "bad key": ${QUALIFIED_NAME}`,
      "webhooks[0].objectSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ],
  );
  assert.deepEqual(
    hookCauses({
      matchConditions: [
        { name: 'exclude-leases', expression: '!(request.resource.group == "coordination.k8s.io")' },
        { name: '', expression: ' ' },
        { name: 'exclude-leases', expression: 'true' },
        { name: 'bad name!', expression: 'true' },
      ],
    }),
    [
      'webhooks[0].matchConditions[1].expression: Required value',
      'webhooks[0].matchConditions[1].name: Required value',
      'webhooks[0].matchConditions[2].name: Duplicate value: "exclude-leases"',
      `webhooks[0].matchConditions[3].name: Invalid value: "bad name!": ${QUALIFIED_NAME}`,
    ],
  );
  const many = Array.from({ length: 65 }, (_, i) => ({ name: `c${i}`, expression: 'true' }));
  assert.deepEqual(hookCauses({ matchConditions: many }), ['webhooks[0].matchConditions: Too many: 65: must have at most 64 items']);
});

test('an update keeps what the stored object already broke (side effects, review versions, duplicate names, selector values, match conditions); generation counts webhook changes', () => {
  // As a v1beta1 write could have stored it; no v1 create passes these.
  const stored: Json = {
    ...create(validating(hook(), hook({ name: 'other.example.com' }))),
    webhooks: [
      hook({ sideEffects: 'Unknown', admissionReviewVersions: ['v0'], objectSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['bad value!'] }] } }),
      hook({ sideEffects: 'Some', matchConditions: [{ name: 'bad name!', expression: 'true' }] }),
      hook({ sideEffects: 'Some' }),
    ],
  };
  const kept = update(stored, { ...stored, metadata: { ...stored['metadata'], labels: { changed: 'yes' } } });
  assert.deepEqual(kept['webhooks'].map((h: Json) => h.sideEffects), ['Unknown', 'Some', 'Some']);
  // Still refused: what no object may hold.
  assert.deepEqual(causes(() => update(stored, { ...stored, webhooks: [hook({ sideEffects: 'Sometimes', admissionReviewVersions: ['v0', 'v0'] })] })), [
    'webhooks[0].sideEffects: Unsupported value: "Sometimes": supported values: "None", "NoneOnDryRun", "Some", "Unknown"',
    'webhooks[0].admissionReviewVersions[1]: Invalid value: "v0": duplicate version',
  ]);
  // Changed match conditions are checked again.
  assert.deepEqual(causes(() => update(stored, { ...stored, webhooks: [hook({ matchConditions: [{ name: 'bad name!', expression: 'false' }] })] })), [
    `webhooks[0].matchConditions[0].name: Invalid value: "bad name!": ${QUALIFIED_NAME}`,
  ]);
  // A stored object that kept every rule holds its update to all of them.
  const strict = create(validating(hook()));
  assert.deepEqual(causes(() => update(strict, { ...strict, webhooks: [hook({ sideEffects: 'Some' })] })), [
    'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
  ]);
});

test('generation: 1 on create, one more for each change of the webhooks (compared once defaulted), none for metadata', async (t: TestContext) => {
  const { registry, catalogue } = await apiRegistry(t);
  const type = catalogue.get('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations')!;
  const made = await registry.create(type, undefined, validating(hook()) as KubeObject, {});
  assert.equal(made.metadata.generation, 1);
  const labelled = await registry.update(type, undefined, 'checks', { ...made, metadata: { ...made.metadata, labels: { a: 'b' } } }, {});
  assert.equal(labelled.metadata.generation, 1);
  // Written back without its defaults (as an apply's patch replaces the rules): the same once defaulted, so no change.
  const undefaulted = await registry.update(type, undefined, 'checks', { ...labelled, webhooks: [hook()] } as KubeObject, {});
  assert.equal(undefaulted.metadata.generation, 1);
  const changed = await registry.update(type, undefined, 'checks', { ...undefaulted, webhooks: [{ ...(undefaulted['webhooks'] as Json[])[0], timeoutSeconds: 5 }] } as KubeObject, {});
  assert.equal(changed.metadata.generation, 2);
});

test('kubectl get prints NAME, WEBHOOKS, AGE for both webhook configurations', () => {
  for (const manifest of [validating(hook(), hook({ name: 'other.example.com' })), mutating()]) {
    const table = toTable({ group: 'admissionregistration.k8s.io', kind: manifest['kind'] }, [{ ...manifest, metadata: { name: 'hooks', creationTimestamp: '2026-11-22T10:00:00Z' } } as KubeObject], {
      includeObject: 'None',
      now: new Date('2026-11-22T12:00:00Z'),
    });
    assert.deepEqual(
      table.columnDefinitions.map((c) => [c.name, c.type, c.format, c.description === '' ? '' : c.description.startsWith('Webhooks') ? c.description : 'doc', c.priority]),
      [
        ['Name', 'string', 'name', 'doc', 0],
        ['Webhooks', 'integer', '', 'Webhooks indicates the number of webhooks registered in this configuration', 0],
        ['Age', 'string', '', 'doc', 0],
      ],
    );
    assert.deepEqual(table.rows, [{ cells: ['hooks', manifest['webhooks'].length, '120m'] }]);
  }
});

// --- admission policies -----------------------------------------------------------

test('a ValidatingAdmissionPolicy: failurePolicy Fail, match constraints defaulted, status left to the controller (empty); generation 1', () => {
  const made = create({ ...policy(MAX_REPLICAS), status: { observedGeneration: 7 } });
  assert.deepEqual(made['spec'], {
    failurePolicy: 'Fail',
    matchConstraints: {
      resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'], scope: '*' }],
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
    },
    validations: [{ expression: 'object.spec.replicas <= 5' }],
  });
  assert.deepEqual(made['status'], {});
});

test('a ValidatingAdmissionPolicy’s structure: match constraints with a resource rule, validations or audit annotations, param kind, variables', () => {
  assert.deepEqual(causes(() => create(policy({ failurePolicy: 'Maybe' }))), [
    'spec.failurePolicy: Unsupported value: "Maybe": supported values: "Fail", "Ignore"',
    'spec.matchConstraints: Required value',
    'spec.validations: Required value: validations or auditAnnotations must contain at least one item',
    'spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item',
  ]);
  assert.deepEqual(
    causes(() =>
      create(
        policy({
          ...MAX_REPLICAS,
          matchConstraints: {
            matchPolicy: 'Approximate',
            namespaceSelector: { matchLabels: { env: 'bad value!' } },
            excludeResourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['pods/log'], resourceNames: ['a/b', '..', 'web', 'web'] }],
          },
        }),
      ),
    ),
    [
      'spec.matchConstraints.matchPolicy: Unsupported value: "Approximate": supported values: "Equivalent", "Exact"',
      "spec.matchConstraints.namespaceSelector.matchLabels: Invalid value: \"bad value!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      "spec.matchConstraints.excludeResourceRules[0].resourceNames[0]: Invalid value: \"a/b\": may not contain '/'",
      "spec.matchConstraints.excludeResourceRules[0].resourceNames[1]: Invalid value: \"..\": may not be '..'",
      'spec.matchConstraints.excludeResourceRules[0].resourceNames[3]: Duplicate value: "web"',
      'spec.matchConstraints.resourceRules: Required value',
    ],
  );
  const paramKind = (apiVersion: string, kind: string) => causesOf(() => create(policy({ ...MAX_REPLICAS, paramKind: { apiVersion, kind } })));
  assert.deepEqual(paramKind('rules.example.com/v1', 'ReplicaLimit'), []);
  assert.deepEqual(paramKind('v1', 'ConfigMap'), []);
  assert.deepEqual(paramKind('', ''), ['spec.paramKind.apiVersion: Required value', 'spec.paramKind.kind: Required value']);
  assert.deepEqual(paramKind('a/b/c', 'Replica_Limit'), [
    'spec.paramKind.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
    `spec.paramKind.kind: Invalid value: "Replica_Limit": may have mixed case, but should otherwise match: ${DNS1035}`,
  ]);
  assert.deepEqual(paramKind('Rules.Example/', 'X'), [
    `spec.paramKind.apiVersion: Invalid value: "Rules.Example": ${SUBDOMAIN}`,
    'spec.paramKind.apiVersion: Invalid value: "Rules.Example/": version must be specified',
  ]);
  assert.deepEqual(paramKind('example.com/V1', 'X'), [`spec.paramKind.apiVersion: Invalid value: "V1": ${DNS1035}`]);
  assert.deepEqual(
    causes(() =>
      create(
        policy({
          ...MAX_REPLICAS,
          variables: [{ name: 'replicas', expression: 'object.spec.replicas' }, { name: 'in', expression: '1' }, { name: ' ', expression: '' }, { name: '2x', expression: 'x' }],
          matchConditions: [{ name: 'only-prod', expression: '' }],
        }),
      ),
    ),
    [
      'spec.matchConditions[0].expression: Required value',
      'spec.variables[1].name: Invalid value: "in": name is not a valid CEL identifier',
      'spec.variables[2].name: Required value: name is not specified',
      'spec.variables[2].expression: Required value: expression is not specified',
      'spec.variables[3].name: Invalid value: "2x": name is not a valid CEL identifier',
    ],
  );
});

test('validations and audit annotations: an expression, a one-line message, a known reason; keys qualified under the policy’s name, each once, 20 at most', () => {
  assert.deepEqual(
    causes(() =>
      create(
        policy({
          matchConstraints: DEPLOYMENTS,
          validations: [
            { expression: '  ', message: ' ', messageExpression: ' ' },
            { expression: 'true', message: 'too\nmany replicas', reason: 'Conflict' },
            { expression: 'true', message: 'fine', reason: 'RequestEntityTooLarge' },
          ],
          auditAnnotations: [
            { key: 'high-replicas', valueExpression: '"yes"' },
            { key: 'high-replicas', valueExpression: '' },
            { key: 'bad key', valueExpression: 'x'.repeat(5121) },
          ],
        }),
      ),
    ),
    [
      'spec.validations[0].expression: Required value: expression is not specified',
      'spec.validations[0].messageExpression: Invalid value: " ": must be non-empty if specified',
      'spec.validations[0].message: Invalid value: " ": message must be non-empty if specified',
      'spec.validations[1].message: Invalid value: "too\\nmany replicas": message must not contain line breaks',
      'spec.validations[1].reason: Unsupported value: "Conflict": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"',
      'spec.auditAnnotations[1].valueExpression: Required value: valueExpression is not specified',
      'spec.auditAnnotations[1].key: Duplicate value: "high-replicas"',
      `spec.auditAnnotations[2].key: Invalid value: "replicas/bad key": ${QUALIFIED_NAME}`,
      'spec.auditAnnotations[2].valueExpression: Required value: must not exceed 5120 bytes in length',
    ],
  );
  const annotations = Array.from({ length: 21 }, (_, i) => ({ key: `k${i}`, valueExpression: 'v' }));
  const [tooMany] = causes(() => create(policy({ matchConstraints: DEPLOYMENTS, auditAnnotations: annotations })));
  assert.equal(
    tooMany,
    `spec.auditAnnotations: Invalid value: []admissionregistration.AuditAnnotation{${annotations.map((a) => `admissionregistration.AuditAnnotation{Key:"${a.key}", ValueExpression:"v"}`).join(', ')}}: must not have more than 20 auditAnnotations`,
  );
});

test('a policy update checks match conditions only when they or the param kind changed', () => {
  const stored = { ...create(policy(MAX_REPLICAS)), spec: { ...create(policy(MAX_REPLICAS))['spec'], matchConditions: [{ name: 'bad name!', expression: 'true' }] } };
  assert.deepEqual(update(stored, { ...stored, spec: { ...stored['spec'], validations: [{ expression: 'object.spec.replicas <= 3' }] } })['spec'].validations, [
    { expression: 'object.spec.replicas <= 3' },
  ]);
  assert.deepEqual(causes(() => update(stored, { ...stored, spec: { ...stored['spec'], paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } } })), [
    `spec.matchConditions[0].name: Invalid value: "bad name!": ${QUALIFIED_NAME}`,
  ]);
});

test('a ValidatingAdmissionPolicyBinding: a policy name, a param reference by name or selector, validation actions', () => {
  assert.deepEqual(create(binding({ policyName: 'replicas', validationActions: ['Deny'], matchResources: {} }))['spec'], {
    policyName: 'replicas',
    validationActions: ['Deny'],
    matchResources: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {} },
  });
  assert.deepEqual(create(binding({ policyName: 'replicas', validationActions: ['Warn', 'Audit'], paramRef: { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Allow' } }))['spec'].paramRef, {
    name: 'limits',
    namespace: 'default',
    parameterNotFoundAction: 'Allow',
  });
  assert.deepEqual(causes(() => create(binding({}))), ['spec.policyName: Required value', 'spec.validationActions: Required value: at least one validation action is required']);
  assert.deepEqual(
    causes(() =>
      create(
        binding({
          policyName: 'Replicas',
          paramRef: { name: 'a%b', selector: { matchLabels: { tier: 'x y' } } },
          matchResources: { matchPolicy: 'Exact', resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['UPDATE'], resources: [] }] },
          validationActions: ['Deny', 'Warn', 'Deny', 'Block'],
        }),
      ),
    ),
    [
      `spec.policyName: Invalid value: "Replicas": ${SUBDOMAIN}`,
      "spec.paramRef.name: Invalid value: \"a%b\": may not contain '%'",
      'spec.paramRef.name: Forbidden: name and selector are mutually exclusive',
      "spec.paramRef.selector.matchLabels: Invalid value: \"x y\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      'spec.paramRef.selector: Forbidden: name and selector are mutually exclusive',
      'spec.paramRef.parameterNotFoundAction: Required value',
      // Upstream's path, misspelt.
      'spec.matchResouces.resourceRules[0].resources: Required value',
      'spec.validationActions[2]: Duplicate value: "Deny"',
      'spec.validationActions[3]: Unsupported value: "Block": supported values: "Audit", "Deny", "Warn"',
      'spec.validationActions: Invalid value: []admissionregistration.ValidationAction{"Deny", "Warn", "Deny", "Block"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
    ],
  );
  assert.deepEqual(causes(() => create(binding({ policyName: 'replicas', validationActions: ['Deny'], paramRef: { parameterNotFoundAction: 'Ignore' } }))), [
    'spec.paramRef: Required value: one of name or selector must be specified',
    'spec.paramRef.parameterNotFoundAction: Unsupported value: "Ignore": supported values: "Deny", "Allow"',
  ]);
});

test('a policy’s status: kept from spec writes, its own writes checked (expression warnings, conditions); spec changes count in generation', async (t: TestContext) => {
  const { registry, catalogue } = await apiRegistry(t);
  const type = catalogue.get('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies')!;
  const made = await registry.create(type, undefined, policy(MAX_REPLICAS) as KubeObject, {});
  assert.equal(made.metadata.generation, 1);
  const status = { observedGeneration: 1, typeChecking: { expressionWarnings: [{ fieldRef: 'spec.validations[0].expression', warning: 'no such key' }] } };
  const written = await registry.update(type, undefined, 'replicas', { ...made, status }, { subresource: 'status' });
  assert.deepEqual(written['status'], status);
  const changed = await registry.update(type, undefined, 'replicas', { ...written, spec: { ...(written['spec'] as Json), failurePolicy: 'Ignore' }, status: {} }, {});
  assert.equal(changed.metadata.generation, 2);
  assert.deepEqual(changed['status'], status, 'a spec write cannot change the status');

  const refused = await registry
    .update(
      type,
      undefined,
      'replicas',
      {
        ...changed,
        status: {
          typeChecking: { expressionWarnings: [{ fieldRef: ' ', warning: '' }] },
          conditions: [
            { type: 'Ready', status: 'Yes', reason: '', message: '' },
            { type: 'Ready', status: 'True', reason: 'Checked:OK!', lastTransitionTime: '2026-11-22T10:00:00Z', observedGeneration: -1, message: '' },
          ],
        },
      },
      { subresource: 'status' },
    )
    .then(
      () => assert.fail('expected a 422'),
      (err: ApiError) => err.details?.causes?.map((c) => `${c.field}: ${c.message}`),
    );
  assert.deepEqual(refused, [
    'status.typeChecking.expressionWarnings[0].warning: Required value',
    'status.typeChecking.expressionWarnings[0].fieldRef: Required value',
    'status.conditions[0].status: Unsupported value: "Yes": supported values: "False", "True", "Unknown"',
    'status.conditions[0].lastTransitionTime: Required value: must be set',
    'status.conditions[0].reason: Required value: must be set',
    'status.conditions[1].type: Duplicate value: "Ready"',
    'status.conditions[1].observedGeneration: Invalid value: -1: must be greater than or equal to zero',
    "status.conditions[1].reason: Invalid value: \"Checked:OK!\": a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')",
  ]);
});

test('kubectl get prints NAME, VALIDATIONS, PARAMKIND, AGE for policies and NAME, POLICYNAME, PARAMREF, AGE for bindings', () => {
  const now = new Date('2026-11-22T10:00:30Z');
  const at = (o: Json) => ({ ...o, metadata: { ...o['metadata'], creationTimestamp: '2026-11-22T10:00:00Z' } }) as KubeObject;
  const policies = toTable({ group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicy' }, [at(policy(MAX_REPLICAS)), at(policy({ ...MAX_REPLICAS, paramKind: { apiVersion: 'rules.example.com/v1', kind: 'ReplicaLimit' } }, 'limited'))], {
    includeObject: 'None',
    now,
  });
  assert.deepEqual(
    policies.columnDefinitions.map((c) => [c.name, c.type, c.description.slice(0, 20)]),
    [
      ['Name', 'string', 'Name must be unique '],
      ['Validations', 'integer', 'Validations indicate'],
      ['ParamKind', 'string', 'ParamKind specifies '],
      ['Age', 'string', 'CreationTimestamp is'],
    ],
  );
  assert.deepEqual(policies.rows.map((r) => r.cells), [
    ['replicas', 1, '<unset>', '30s'],
    ['limited', 1, 'rules.example.com/v1/ReplicaLimit', '30s'],
  ]);
  const bindings = toTable(
    { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicyBinding' },
    [
      binding({ policyName: 'a' }),
      binding({ policyName: 'b', paramRef: { name: 'limits', namespace: 'default' } }),
      binding({ policyName: 'c', paramRef: { name: 'limits' } }),
      binding({ policyName: 'd', paramRef: { selector: { matchLabels: { tier: 'web', env: 'prod' }, matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] } } }),
      binding({ policyName: 'e', paramRef: { selector: {} } }),
    ].map(at),
    { includeObject: 'None', now },
  );
  assert.deepEqual(bindings.columnDefinitions.map((c) => c.name), ['Name', 'PolicyName', 'ParamRef', 'Age']);
  assert.deepEqual(
    bindings.rows.map((r) => r.cells.slice(1, 3)),
    [
      ['a', '<unset>'],
      ['b', 'default/limits'],
      ['c', '*/limits'],
      ['d', '&LabelSelector{MatchLabels:map[string]string{env: prod,tier: web,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:team,Operator:In,Values:[a b],},},}'],
      ['e', '&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}'],
    ],
  );
});
