// LimitRanges: decoded and defaulted as upstream's SetObjectDefaults_LimitRange
// (every quantity rounded up to milli units; a Container item's default limit
// taken from max, its default request from the default limit, then from min),
// and validated as ValidateLimitRange (1.31), on create and update alike.
// Pods and claims are held to them by limit-ranger.ts.
import type { LimitRange, LimitRangeItem } from 'kubernetes-types/core/v1.js';
import { compare, type Quantity } from '../../../common/quantity.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { duplicate, forbidden, goFixed, invalid, quote, required, sortedKeys } from './field-errors.js';
import { qualifiedNameErrors } from './labels.js';
import {
  copyQuantity,
  decodeResourceList,
  goQuantityOf,
  integerValue,
  isOvercommitAllowed,
  MAX_MILLI_VALUE,
  milliValue,
  quantityOf,
  type ResourceList,
  validateContainerResourceName,
  validateResourceName,
} from './resource-lists.js';

type Item = LimitRangeItem & Partial<Record<Bound, ResourceList>>;
type Bound = (typeof BOUNDS)[number];

const BOUNDS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;
const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];

function itemsOf(obj: KubeObject): Item[] {
  return ((obj as KubeObject & LimitRange).spec?.limits ?? []) as Item[];
}

export const limitRangeRules: KindRules = {
  decodeInput(obj) {
    for (const item of itemsOf(obj)) for (const bound of BOUNDS) decodeResourceList(item[bound], obj);
  },
  defaults(obj) {
    for (const item of itemsOf(obj)) if (item.type === 'Container') containerItemDefaults(item);
  },
  validate(obj) {
    const causes: StatusCause[] = [];
    const types = new Set<string>();
    itemsOf(obj).forEach((item, i) => {
      const path = `spec.limits[${i}]`;
      const type = item.type ?? '';
      causes.push(...validateLimitType(type, `${path}.type`));
      if (types.has(type)) causes.push(duplicate(`${path}.type`, quote(type)));
      types.add(type);
      causes.push(...validateItem(item, type, path));
    });
    return causes;
  },
};

/** SetDefaults_LimitRangeItem: missing defaults come from max, missing default requests from the defaults, then from min. */
function containerItemDefaults(item: Item): void {
  const limit = item.default ?? {};
  const request = item.defaultRequest ?? {};
  const fill = (to: ResourceList, from: ResourceList | undefined) => {
    for (const name of Object.keys(from ?? {})) if (!(name in to)) copyQuantity(from!, to, name);
  };
  fill(limit, item.max);
  fill(request, limit);
  fill(request, item.min);
  // Empty maps are not serialized.
  if (Object.keys(limit).length > 0) item.default = limit;
  if (Object.keys(request).length > 0) item.defaultRequest = request;
}

/** validateLimitRangeTypeName. */
function validateLimitType(type: string, path: string): StatusCause[] {
  const errs = qualifiedNameErrors(type);
  if (errs.length > 0) return errs.map((m) => invalid(path, quote(type), m));
  if (!type.includes('/') && !LIMIT_TYPES.includes(type)) return [invalid(path, quote(type), 'must be a standard limit type or fully qualified')];
  return [];
}

function validateItem(item: Item, type: string, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const nameCheck = type === 'Pod' || type === 'Container' ? validateContainerResourceName : validateResourceName;
  const lists: Partial<Record<Bound, ResourceList>> = {};
  const names = new Set<string>();
  const take = (bound: Bound): void => {
    const list = item[bound] ?? {};
    for (const name of sortedKeys(list)) causes.push(...nameCheck(name, `${path}.${bound}[${name}]`));
    for (const name of Object.keys(list)) names.add(name);
    lists[bound] = list;
  };
  take('max');
  take('min');
  if (type === 'Pod') {
    for (const bound of ['default', 'defaultRequest'] as const) {
      if (Object.keys(item[bound] ?? {}).length > 0) causes.push(forbidden(`${path}.${bound}`, "may not be specified when `type` is 'Pod'"));
    }
  } else {
    take('default');
    take('defaultRequest');
  }
  if (type === 'PersistentVolumeClaim' && item.min?.['storage'] === undefined && item.max?.['storage'] === undefined) {
    causes.push(required(`${path}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
  }
  take('maxLimitRequestRatio');
  for (const name of [...names].sort()) causes.push(...validateBounds(lists, name, path));
  return causes;
}

/** min ≤ defaultRequest ≤ default ≤ max, and the ratio of limit to request within 1 and max/min. */
function validateBounds(lists: Partial<Record<Bound, ResourceList>>, name: string, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  // A bound's String() (what decoding left in its list) and its amount.
  const value = (bound: Bound): { text: string; amount: Quantity } | undefined => {
    const list = lists[bound];
    return list?.[name] === undefined ? undefined : { text: list[name]!, amount: quantityOf(list, name) };
  };
  const at = (bound: Bound, shown: Bound, detail: string) => invalid(`${path}.${bound}[${name}]`, goQuantityOf(lists[shown]!, name), detail);
  const min = value('min');
  const max = value('max');
  const limit = value('default');
  const request = value('defaultRequest');
  const ratio = value('maxLimitRequestRatio');
  if (min && max && compare(min.amount, max.amount) > 0) causes.push(at('min', 'min', `min value ${min.text} is greater than max value ${max.text}`));
  if (request && min && compare(min.amount, request.amount) > 0) {
    causes.push(at('defaultRequest', 'defaultRequest', `min value ${min.text} is greater than default request value ${request.text}`));
  }
  if (request && max && compare(request.amount, max.amount) > 0) {
    causes.push(at('defaultRequest', 'defaultRequest', `default request value ${request.text} is greater than max value ${max.text}`));
  }
  if (request && limit && compare(request.amount, limit.amount) > 0) {
    causes.push(at('defaultRequest', 'defaultRequest', `default request value ${request.text} is greater than default limit value ${limit.text}`));
  }
  // Upstream shows min, then max, on the default's path.
  if (limit && min && compare(min.amount, limit.amount) > 0) causes.push(at('default', 'min', `min value ${min.text} is greater than default value ${limit.text}`));
  if (limit && max && compare(limit.amount, max.amount) > 0) causes.push(at('default', 'max', `default value ${limit.text} is greater than max value ${max.text}`));
  if (ratio && compare(ratio.amount, ONE) < 0) causes.push(at('maxLimitRequestRatio', 'maxLimitRequestRatio', `ratio ${ratio.text} is less than 1`));
  if (ratio && min && max) {
    const [ratioValue, bound] = ratioBound(ratio.amount, min.amount, max.amount);
    if (ratioValue > bound) causes.push(at('maxLimitRequestRatio', 'maxLimitRequestRatio', `ratio ${ratio.text} is greater than max/min = ${goFixed(bound)}`));
  }
  if (!isOvercommitAllowed(name) && limit && request && compare(limit.amount, request.amount) !== 0) {
    causes.push(at('defaultRequest', 'defaultRequest', `default value ${limit.text} must equal to defaultRequest value ${request.text} in ${name}`));
  }
  return causes;
}

const ONE: Quantity = { value: 1n, scale: 0, format: 'DecimalSI' };

/** The ratio and max/min as float64s, as upstream computes them: in milli units unless a value is too large for them. */
function ratioBound(ratio: Quantity, min: Quantity, max: Quantity): [number, number] {
  if (integerValue(ratio) < MAX_MILLI_VALUE && integerValue(min) < MAX_MILLI_VALUE && integerValue(max) < MAX_MILLI_VALUE) {
    return [Number(milliValue(ratio)) / 1000, Number(milliValue(max)) / Number(milliValue(min))];
  }
  return [Number(integerValue(ratio)), Number(integerValue(max)) / Number(integerValue(min))];
}
