// admissionregistration.k8s.io/v1 ValidatingWebhookConfigurations and
// MutatingWebhookConfigurations, as upstream 1.31's v1 defaults and
// ValidateValidating/MutatingWebhookConfiguration(Update) treat them. They
// are stored and served only: nothing calls the webhooks. On update, rules
// the stored object already broke are relaxed as upstream relaxes them
// (side effects, review versions, unique names, selector values), and
// unchanged match conditions are not checked again.
import type { MutatingWebhook, ValidatingWebhook } from 'kubernetes-types/admissionregistration/v1.js';
import type { KubeObject } from '../objects.js';
import { nameErrors } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { FAILURE_POLICIES, type Rule, ruleDefaults, validateMatchConditions, validateMatchPolicy, validateRuleWithOperations } from './admission-rules.js';
import { semanticEqual } from './equality.js';
import { duplicate, goStrings, invalid, notSupported, quote, required } from './field-errors.js';
import { validateLabelSelector } from './labels.js';
import { clientConfigDefaults, decodeCaBundle, validateClientConfig } from './webhook-client.js';

type Webhook = ValidatingWebhook & Partial<Pick<MutatingWebhook, 'reinvocationPolicy'>>;
type WebhookConfiguration = KubeObject & { webhooks?: Webhook[] | null };

/** The AdmissionReview versions this server could send (AcceptedAdmissionReviewVersions). */
const REVIEW_VERSIONS = ['v1', 'v1beta1'];
const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const SIDE_EFFECTS = ['None', 'NoneOnDryRun', 'Some', 'Unknown'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];

/** What a write is held to; a create gets the strict rules, an update those the stored object already kept. */
interface Options {
  readonly requireNoSideEffects: boolean;
  readonly requireRecognizedReviewVersion: boolean;
  readonly requireUniqueNames: boolean;
  readonly allowInvalidSelectorValues: boolean;
  readonly ignoreMatchConditions: boolean;
}

const STRICT: Options = {
  requireNoSideEffects: true,
  requireRecognizedReviewVersion: true,
  requireUniqueNames: true,
  allowInvalidSelectorValues: false,
  ignoreMatchConditions: false,
};

export const validatingWebhookConfigurationRules: KindRules = rulesOf(false);
export const mutatingWebhookConfigurationRules: KindRules = rulesOf(true);

function rulesOf(mutating: boolean): KindRules {
  return {
    decodeInput(obj) {
      for (const hook of webhooksOf(obj)) decodeCaBundle(hook.clientConfig, obj);
    },
    defaults(obj) {
      for (const hook of webhooksOf(obj)) {
        hook.failurePolicy ??= 'Fail';
        hook.matchPolicy ??= 'Equivalent';
        hook.namespaceSelector ??= {};
        hook.objectSelector ??= {};
        hook.timeoutSeconds ??= 10;
        if (mutating) hook.reinvocationPolicy ??= 'Never';
        clientConfigDefaults(hook.clientConfig);
        for (const rule of hook.rules ?? []) ruleDefaults(rule as Rule);
      }
    },
    validate(obj, old) {
      const hooks = webhooksOf(obj);
      const opts = old === undefined ? STRICT : optionsFor(hooks, webhooksOf(old));
      const causes: StatusCause[] = [];
      const names = new Set<string>();
      hooks.forEach((hook, i) => {
        const path = `webhooks[${i}]`;
        causes.push(...validateWebhook(hook, path, mutating, opts));
        causes.push(...validateReviewVersions(hook.admissionReviewVersions ?? [], `${path}.admissionReviewVersions`, opts.requireRecognizedReviewVersion));
        if (opts.requireUniqueNames && hook.name) {
          if (names.has(hook.name)) causes.push(duplicate(`${path}.name`, quote(hook.name)));
          names.add(hook.name);
        }
      });
      return causes;
    },
  };
}

function webhooksOf(obj: KubeObject): Webhook[] {
  return (obj as WebhookConfiguration).webhooks ?? [];
}

/** The Update variants' options: what every stored webhook kept, the stored selector values that broke the rules, match conditions left as they were. */
function optionsFor(hooks: readonly Webhook[], before: readonly Webhook[]): Options {
  const labelsBroken = (hook: Webhook) =>
    validateLabelSelector(hook.namespaceSelector, '').length > 0 || validateLabelSelector(hook.objectSelector, '').length > 0;
  const names = before.map((h) => h.name);
  return {
    requireNoSideEffects: before.every((h) => NO_SIDE_EFFECTS.includes(h.sideEffects ?? '')),
    requireRecognizedReviewVersion: before.every((h) => (h.admissionReviewVersions ?? []).length === 0 || h.admissionReviewVersions!.some((v) => REVIEW_VERSIONS.includes(v))),
    requireUniqueNames: new Set(names).size === names.length,
    allowInvalidSelectorValues: before.some(labelsBroken),
    ignoreMatchConditions: hooks.length === before.length && hooks.every((h, i) => semanticEqual(h.matchConditions, before[i]!.matchConditions)),
  };
}

/** validateValidatingWebhook / validateMutatingWebhook, in their order. */
function validateWebhook(hook: Webhook, path: string, mutating: boolean, opts: Options): StatusCause[] {
  const causes = fullyQualifiedNameErrors(hook.name ?? '', `${path}.name`);
  (hook.rules ?? []).forEach((rule, i) => causes.push(...validateRuleWithOperations(rule as Rule, `${path}.rules[${i}]`)));
  if (hook.failurePolicy != null && !FAILURE_POLICIES.includes(hook.failurePolicy)) {
    causes.push(notSupported(`${path}.failurePolicy`, quote(hook.failurePolicy), FAILURE_POLICIES));
  }
  causes.push(...validateMatchPolicy(hook.matchPolicy, `${path}.matchPolicy`));
  const sideEffects = opts.requireNoSideEffects ? NO_SIDE_EFFECTS : SIDE_EFFECTS;
  if (hook.sideEffects == null) causes.push(required(`${path}.sideEffects`, `must specify one of ${sideEffects.join(', ')}`));
  else if (!sideEffects.includes(hook.sideEffects)) causes.push(notSupported(`${path}.sideEffects`, quote(hook.sideEffects), sideEffects));
  const timeout = hook.timeoutSeconds;
  if (timeout != null && (timeout > 30 || timeout < 1)) {
    causes.push(invalid(`${path}.timeoutSeconds`, String(timeout), 'the timeout value must be between 1 and 30 seconds'));
  }
  causes.push(...validateLabelSelector(hook.namespaceSelector, `${path}.namespaceSelector`, opts.allowInvalidSelectorValues));
  causes.push(...validateLabelSelector(hook.objectSelector, `${path}.objectSelector`, opts.allowInvalidSelectorValues));
  if (mutating && hook.reinvocationPolicy != null && !REINVOCATION_POLICIES.includes(hook.reinvocationPolicy)) {
    causes.push(notSupported(`${path}.reinvocationPolicy`, quote(hook.reinvocationPolicy), REINVOCATION_POLICIES));
  }
  causes.push(...validateClientConfig(hook.clientConfig, `${path}.clientConfig`));
  if (!opts.ignoreMatchConditions) causes.push(...validateMatchConditions(hook.matchConditions ?? [], `${path}.matchConditions`));
  return causes;
}

/** IsFullyQualifiedName: a DNS subdomain of at least three segments. */
function fullyQualifiedNameErrors(name: string, path: string): StatusCause[] {
  if (name === '') return [required(path)];
  const errs = nameErrors(name, 'subdomain');
  if (errs.length > 0) return [invalid(path, quote(name), errs.join(','))];
  if (name.split('.').length < 3) return [invalid(path, quote(name), 'should be a domain with at least three segments separated by dots')];
  return [];
}

/** validateAdmissionReviewVersions: at least one, each a DNS-1035 label once, one of them a version this server speaks. */
function validateReviewVersions(versions: readonly string[], path: string, requireRecognized: boolean): StatusCause[] {
  if (versions.length === 0) return [required(path, `must specify one of ${REVIEW_VERSIONS.join(', ')}`)];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      causes.push(invalid(`${path}[${i}]`, quote(v), 'duplicate version'));
      return;
    }
    seen.add(v);
    causes.push(...nameErrors(v, 'dns1035-label').map((m) => invalid(`${path}[${i}]`, quote(v), m)));
  });
  if (requireRecognized && !versions.some((v) => REVIEW_VERSIONS.includes(v))) {
    causes.push(invalid(path, goStrings(versions), `must include at least one of ${REVIEW_VERSIONS.join(', ')}`));
  }
  return causes;
}
