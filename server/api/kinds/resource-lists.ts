// ResourceLists (resource name → quantity) as upstream's core API decodes and
// checks them, shared by containers, LimitRanges and ResourceQuotas:
// decoding with SetDefaults_ResourceList (each quantity a resource.Quantity,
// rounded up to milli units, kept as its String()), and the resource-name and
// quantity-value rules of pkg/apis/core/validation and core/helper (1.31).
import { compare, isInteger, parseQuantity, type Quantity, roundUp } from '../../../common/quantity.js';
import type { KubeObject } from '../objects.js';
import type { StatusCause } from '../status.js';
import { decodeError, invalid, NON_NEGATIVE, quote, sortedKeys } from './field-errors.js';
import { goQuantity, goString } from './go-quantity.js';
import { qualifiedNameErrors, validateQualifiedName } from './labels.js';

export type ResourceList = Record<string, string>;

/**
 * The text each quantity of a decoded list arrived as, for the %#v of the
 * Quantity Go made of it (go-quantity.ts); the list itself holds its
 * String(). Kept until the object is dropped.
 */
const written = new WeakMap<ResourceList, Map<string, string | null>>();

/**
 * Decoding and SetDefaults_ResourceList, in place: a bad quantity fails the
 * request with a 400, a good one is rounded up to milli units and kept as Go
 * prints it ("0.5" → "500m"); a JSON null is Go's zero Quantity, "0".
 */
export function decodeResourceList(list: ResourceList | undefined | null, owner: KubeObject): void {
  if (list === undefined || list === null) return;
  const texts = new Map<string, string | null>();
  for (const name of Object.keys(list)) {
    if ((list[name] as string | null) === null) {
      texts.set(name, null);
      list[name] = '0';
      continue;
    }
    const q = parseQuantity(list[name]!);
    if (typeof q === 'string') throw decodeError(owner, q);
    texts.set(name, String(list[name]));
    list[name] = goString(list[name]!);
  }
  written.set(list, texts);
}

/** `from[name]` copied into `to`, as the Quantity.DeepCopy of upstream's defaulting copies it. */
export function copyQuantity(from: ResourceList, to: ResourceList, name: string): void {
  to[name] = from[name]!;
  const text = written.get(from)?.get(name);
  if (text === undefined) return;
  const texts = written.get(to) ?? new Map<string, string | null>();
  texts.set(name, text);
  written.set(to, texts);
}

/** The amount of a quantity decodeResourceList left. */
export function quantityOf(list: ResourceList, name: string): Quantity {
  return parseQuantity(list[name]!) as Quantity;
}

/** %#v of the Quantity `list[name]` is in Go. */
export function goQuantityOf(list: ResourceList, name: string): string {
  const texts = written.get(list);
  return goQuantity(texts?.has(name) === true ? (texts.get(name) as string | null) : list[name]!);
}

const ZERO: Quantity = { value: 0n, scale: 0, format: 'DecimalSI' };

/** A quantity decoding left; an absent one is the zero Quantity, as a missing map key reads in Go. */
export function quantityIn(list: ResourceList | undefined | null, name: string): Quantity {
  return list?.[name] === undefined ? ZERO : quantityOf(list, name);
}

/** Quantity.Value(): the value rounded up (away from zero) to an integer, as the int64 validation prints. */
export function integerValue(q: Quantity): bigint {
  return roundUp(q, 0).value * 10n ** BigInt(Math.max(q.scale, 0));
}

/** resource.MaxMilliValue: past it, upstream compares whole units instead of milli units. */
export const MAX_MILLI_VALUE = ((1n << 63n) - 1n) / 1000n;

/** Quantity.MilliValue(): the value in milli units, rounded up (away from zero). */
export function milliValue(q: Quantity): bigint {
  const rounded = roundUp(q, -3);
  return rounded.value * 10n ** BigInt(rounded.scale + 3);
}

/**
 * The list with every quantity replaced by its exact value, for
 * apiequality.Semantic (which compares quantities with Cmp: "1Gi" and
 * "1073741824" are the same). Leaves its input as it is.
 */
export function comparableResourceList(list: ResourceList | undefined | null): Record<string, string> | undefined | null {
  if (list === undefined || list === null) return list;
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(list)) {
    const q = parseQuantity(text);
    const nano = typeof q === 'string' ? undefined : roundUp(q, -9);
    out[name] = nano === undefined ? text : String(nano.value * 10n ** BigInt(nano.scale + 9));
  }
  return out;
}

/** apiequality.Semantic.DeepEqual of two lists: the same names with quantities of the same value; nil and empty alike. */
export function sameResourceList(a: ResourceList | undefined | null, b: ResourceList | undefined | null): boolean {
  const names = Object.keys(a ?? {});
  if (names.length !== Object.keys(b ?? {}).length) return false;
  return names.every((name) => b![name] !== undefined && compare(quantityOf(a!, name), quantityOf(b!, name)) === 0);
}

/** %#v of a core.ResourceList, as field errors print one: keys sorted as fmt sorts maps, each Quantity as its struct. */
export function goResourceList(list: ResourceList | undefined | null): string {
  if (list === undefined || list === null) return 'core.ResourceList(nil)';
  return `core.ResourceList{${sortedKeys(list)
    .map((name) => `${quote(name)}:${goQuantityOf(list, name)}`)
    .join(', ')}}`;
}

// --- names (core/helper) ------------------------------------------------------

const CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const COUNTED_OBJECTS = ['pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers'];
const COMPUTE_QUOTA = ['requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage'];
/** standardQuotaResources. */
const QUOTA_RESOURCES = new Set([...CONTAINER_RESOURCES, ...COMPUTE_QUOTA, 'requests.storage', ...COUNTED_OBJECTS]);
/** standardResources. */
const STANDARD_RESOURCES = new Set([...QUOTA_RESOURCES, 'storage']);
/** integerResources: counts of objects. */
const INTEGER_RESOURCES = new Set(COUNTED_OBJECTS);

const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
const isQuotaHugePages = (name: string): boolean => isHugePages(name) || name.startsWith('requests.hugepages-');

/** IsNativeResource: unqualified, or in a kubernetes.io domain. */
export function isNative(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** IsExtendedResourceName: another domain's, and a qualified name once "requests." is put before it. */
export function isExtended(name: string): boolean {
  return !isNative(name) && !name.startsWith('requests.') && qualifiedNameErrors(`requests.${name}`).length === 0;
}

/** IsOvercommitAllowed: native resources other than hugepages may be requested below their limit. */
export function isOvercommitAllowed(name: string): boolean {
  return isNative(name) && !isHugePages(name);
}

/** IsStandardQuotaResourceName. */
export function isQuotaResource(name: string): boolean {
  return QUOTA_RESOURCES.has(name) || isQuotaHugePages(name);
}

/** validateResourceName: a qualified name, and a standard one unless it has a domain. */
export function validateResourceName(name: string, path: string): StatusCause[] {
  const causes = validateQualifiedName(name, path);
  if (causes.length > 0 || name.includes('/') || STANDARD_RESOURCES.has(name) || isQuotaHugePages(name)) return causes;
  return [invalid(path, quote(name), 'must be a standard resource type or fully qualified')];
}

/** validateContainerResourceName: also one a container can ask for (cpu, memory, ephemeral-storage, hugepages, extended resources). */
export function validateContainerResourceName(name: string, path: string): StatusCause[] {
  const causes = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!CONTAINER_RESOURCES.has(name) && !isHugePages(name)) causes.push(invalid(path, quote(name), 'must be a standard resource for containers'));
  } else if (!isNative(name) && !isExtended(name)) {
    causes.push(invalid(path, quote(name), "doesn't follow extended resource name standard"));
  }
  return causes;
}

/** ValidateResourceQuotaResourceName: also one quota can track, unless it has a domain. */
export function validateQuotaResourceName(name: string, path: string): StatusCause[] {
  const causes = validateResourceName(name, path);
  if (!name.includes('/') && !isQuotaResource(name)) causes.push(invalid(path, quote(name), 'must be a standard resource for quota'));
  return causes;
}

/** isIntegerResource: counts of objects and extended resources hold whole numbers. */
export function isIntegerResource(name: string): boolean {
  return INTEGER_RESOURCES.has(name) || isExtended(name);
}

/** ValidateResourceQuantityValue: not negative, and whole for counts of objects and extended resources. */
export function validateResourceQuantityValue(list: ResourceList, name: string, path: string): StatusCause[] {
  const q = quantityOf(list, name);
  const causes = q.value < 0n ? [invalid(path, quote(list[name]!), NON_NEGATIVE)] : [];
  if (isIntegerResource(name) && !isInteger(q)) causes.push(invalid(path, goQuantityOf(list, name), 'must be an integer'));
  return causes;
}
