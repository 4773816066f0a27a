// admissionregistration.k8s.io/v1 through the real kubectl, oldest and newest
// supported, against a real `bramble server`: the webhook configurations a
// chart ships (ingress-nginx's, with its caBundle, and cert-manager's) and an
// admission policy with its binding applied, applied again unchanged and
// changed, listed with upstream's columns, found by api-resources and
// explain; an invalid configuration refused with upstream's causes as
// kubectl prints them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.33'];
const CA_BUNDLE = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----\n').toString('base64');

/** ingress-nginx's admission webhook, its caBundle patched in as the chart's certgen job does. */
const ingressNginx = (timeoutSeconds: number) => `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: ingress-nginx-admission
  labels: {app.kubernetes.io/component: admission-webhook, app.kubernetes.io/name: ingress-nginx}
webhooks:
- name: validate.nginx.ingress.kubernetes.io
  matchPolicy: Equivalent
  rules:
  - apiGroups: [networking.k8s.io]
    apiVersions: [v1]
    operations: [CREATE, UPDATE]
    resources: [ingresses]
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: ${timeoutSeconds}
  clientConfig:
    service: {namespace: ingress-nginx, name: ingress-nginx-controller-admission, path: /networking/v1/ingresses, port: 443}
    caBundle: ${CA_BUNDLE}
`;

const CERT_MANAGER = `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: cert-manager-webhook
  annotations: {cert-manager.io/inject-ca-from-secret: cert-manager/cert-manager-webhook-ca}
webhooks:
- name: webhook.cert-manager.io
  rules:
  - {apiGroups: [cert-manager.io], apiVersions: [v1], operations: [CREATE], resources: [certificaterequests]}
  admissionReviewVersions: [v1]
  matchPolicy: Equivalent
  timeoutSeconds: 30
  failurePolicy: Fail
  sideEffects: None
  clientConfig:
    service: {name: cert-manager-webhook, namespace: cert-manager, path: /mutate}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: cert-manager-webhook
  annotations: {cert-manager.io/inject-ca-from-secret: cert-manager/cert-manager-webhook-ca}
webhooks:
- name: webhook.cert-manager.io
  namespaceSelector:
    matchExpressions:
    - {key: cert-manager.io/disable-validation, operator: NotIn, values: ["true"]}
  rules:
  - apiGroups: [cert-manager.io, acme.cert-manager.io]
    apiVersions: [v1]
    operations: [CREATE, UPDATE]
    resources: ["*/*"]
  admissionReviewVersions: [v1]
  matchPolicy: Equivalent
  timeoutSeconds: 30
  failurePolicy: Fail
  sideEffects: None
  clientConfig:
    service: {name: cert-manager-webhook, namespace: cert-manager, path: /validate}
`;

const POLICY = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max-replicas}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: object.spec.replicas <= int(params.data.max)
    reason: Invalid
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: max-replicas}
spec:
  policyName: max-replicas
  validationActions: [Deny]
  paramRef: {name: replica-limits, namespace: default, parameterNotFoundAction: Deny}
`;

const BROKEN = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: broken}
webhooks:
- name: broken
  admissionReviewVersions: [v2]
  timeoutSeconds: 60
  rules:
  - {apiGroups: ["*", apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  clientConfig:
    url: http://hooks.example.com/check?debug=1
`;

const REFUSED = `The ValidatingWebhookConfiguration "broken" is invalid: 
* webhooks[0].name: Invalid value: "broken": should be a domain with at least three segments separated by dots
* webhooks[0].rules[0].apiGroups: Invalid value: []string{"*", "apps"}: if '*' is present, must not specify other API groups
* webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun
* webhooks[0].timeoutSeconds: Invalid value: 60: the timeout value must be between 1 and 30 seconds
* webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]
* webhooks[0].clientConfig.url: Invalid value: "debug=1": query parameters are not permitted in the URL
* webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1
`;

interface Webhook {
  timeoutSeconds: number;
  failurePolicy: string;
  namespaceSelector: object;
  rules: { scope: string }[];
  clientConfig: { caBundle?: string; service: { port: number } };
}

for (const version of VERSIONS) {
  test(`kubectl ${version}: charts' webhook configurations and an admission policy apply, list with upstream's columns, and an invalid one is refused with upstream's causes`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));

    assert.equal(
      await k.ok(['apply', '-f', '-'], `${ingressNginx(10)}---\n${CERT_MANAGER}---\n${POLICY}`),
      [
        'validatingwebhookconfiguration.admissionregistration.k8s.io/ingress-nginx-admission created',
        'mutatingwebhookconfiguration.admissionregistration.k8s.io/cert-manager-webhook created',
        'validatingwebhookconfiguration.admissionregistration.k8s.io/cert-manager-webhook created',
        'validatingadmissionpolicy.admissionregistration.k8s.io/max-replicas created',
        'validatingadmissionpolicybinding.admissionregistration.k8s.io/max-replicas created',
        '',
      ].join('\n'),
    );
    const stored = JSON.parse(await k.ok(['get', 'validatingwebhookconfiguration', 'ingress-nginx-admission', '-o', 'json'])) as { metadata: { generation: number }; webhooks: Webhook[] };
    const [nginx] = stored.webhooks;
    assert.equal(nginx!.clientConfig.caBundle, CA_BUNDLE);
    assert.deepEqual([nginx!.failurePolicy, nginx!.namespaceSelector, nginx!.rules[0]!.scope, nginx!.clientConfig.service.port], ['Fail', {}, '*', 443]);
    assert.equal(stored.metadata.generation, 1);

    // Applied again: kubectl sends the rules (an atomic list the server gave a scope), as it does to upstream, and
    // nothing changes once they are defaulted; a changed webhook is merged in by name and counts in the generation.
    assert.equal(await k.ok(['apply', '-f', '-'], ingressNginx(10)), 'validatingwebhookconfiguration.admissionregistration.k8s.io/ingress-nginx-admission configured\n');
    const reapplied = JSON.parse(await k.ok(['get', 'validatingwebhookconfiguration', 'ingress-nginx-admission', '-o', 'json'])) as { metadata: { generation: number } };
    assert.equal(reapplied.metadata.generation, 1);
    assert.equal(await k.ok(['apply', '-f', '-'], ingressNginx(5)), 'validatingwebhookconfiguration.admissionregistration.k8s.io/ingress-nginx-admission configured\n');
    const changed = JSON.parse(await k.ok(['get', 'validatingwebhookconfiguration', 'ingress-nginx-admission', '-o', 'json'])) as { metadata: { generation: number }; webhooks: Webhook[] };
    assert.deepEqual([changed.metadata.generation, changed.webhooks.length, changed.webhooks[0]!.timeoutSeconds, changed.webhooks[0]!.clientConfig.caBundle], [2, 1, 5, CA_BUNDLE]);

    const listed = (await k.ok(['get', 'validatingwebhookconfigurations'])).trimEnd().split('\n');
    assert.match(listed[0]!, /^NAME\s+WEBHOOKS\s+AGE$/);
    assert.match(listed[1]!, /^cert-manager-webhook\s+1\s+\d+s$/);
    assert.match(listed[2]!, /^ingress-nginx-admission\s+1\s+\d+s$/);
    assert.equal(listed.length, 3);
    assert.match(await k.ok(['get', 'mutatingwebhookconfiguration', '--no-headers']), /^cert-manager-webhook\s+1\s+\d+s\n$/);
    const policies = (await k.ok(['get', 'validatingadmissionpolicies'])).trimEnd().split('\n');
    assert.match(policies[0]!, /^NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE$/);
    assert.match(policies[1]!, /^max-replicas\s+1\s+v1\/ConfigMap\s+\d+s$/);
    const bindings = (await k.ok(['get', 'validatingadmissionpolicybindings'])).trimEnd().split('\n');
    assert.match(bindings[0]!, /^NAME\s+POLICYNAME\s+PARAMREF\s+AGE$/);
    assert.match(bindings[1]!, /^max-replicas\s+max-replicas\s+default\/replica-limits\s+\d+s$/);

    assert.deepEqual(
      (await k.ok(['api-resources', '--api-group=admissionregistration.k8s.io', '--no-headers'])).trimEnd().split('\n').map((l) => l.split(/\s+/)),
      [
        ['mutatingwebhookconfigurations', 'admissionregistration.k8s.io/v1', 'false', 'MutatingWebhookConfiguration'],
        ['validatingadmissionpolicies', 'admissionregistration.k8s.io/v1', 'false', 'ValidatingAdmissionPolicy'],
        ['validatingadmissionpolicybindings', 'admissionregistration.k8s.io/v1', 'false', 'ValidatingAdmissionPolicyBinding'],
        ['validatingwebhookconfigurations', 'admissionregistration.k8s.io/v1', 'false', 'ValidatingWebhookConfiguration'],
      ],
    );
    assert.match(await k.ok(['get', 'api-extensions', '-o', 'name']), /^validatingwebhookconfiguration\.admissionregistration\.k8s\.io\/ingress-nginx-admission$/m);

    const refused = await k.run(['apply', '-f', '-'], { stdin: BROKEN });
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, REFUSED);
    // A bad caBundle is the decoder's 400.
    const badBundle = await k.run(['apply', '-f', '-'], { stdin: ingressNginx(10).replace('ingress-nginx-admission', 'bad-bundle').replace(CA_BUNDLE, 'Zm9v!') });
    assert.equal(badBundle.code, 1);
    assert.match(badBundle.stderr, /ValidatingWebhookConfiguration in version "v1" cannot be handled as a ValidatingWebhookConfiguration: illegal base64 data at input byte 4/);

    if (version === '1.33') {
      const explained = await k.ok(['explain', 'validatingwebhookconfiguration.webhooks.rules.scope']);
      assert.match(explained, /^GROUP:\s+admissionregistration\.k8s\.io\nKIND:\s+ValidatingWebhookConfiguration\nVERSION:\s+v1\n\nFIELD: scope <string>/);
      assert.match(explained, /scope specifies the scope of this rule/);
    }
  });
}
