// What one LimitRange refuses in a pod or a claim, as upstream's LimitRanger
// (plugin/pkg/admission/limitranger, 1.31) words it: PodValidateLimitFunc
// (each container and init container against a Container item, the pod's
// total against a Pod item: min, max, then maxLimitRequestRatio) and
// PersistentVolumeClaimValidateLimitFunc (the claim's requests against a
// PersistentVolumeClaim item's min and max). Upstream walks each bound's
// resources in Go's random map order; here they go by name.
import type { Container, LimitRange, LimitRangeItem, PersistentVolumeClaim, PodSpec } from 'kubernetes-types/core/v1.js';
import { add, compare, formatQuantity, type Quantity } from '../../../common/quantity.js';
import { goFixed, sortedKeys } from './field-errors.js';
import { integerValue, MAX_MILLI_VALUE, milliValue, quantityOf, type ResourceList } from './resource-lists.js';

/** A quantity with its String(): the stored text, or the canonical form of a sum (Go's Add drops the text it was given). */
interface Amount {
  readonly amount: Quantity;
  readonly text: string;
}
type Amounts = Map<string, Amount>;
type Constraint = (type: string, name: string, enforced: Amount, requests: Amounts, limits: Amounts) => string | undefined;
type Bound = 'min' | 'max' | 'maxLimitRequestRatio';

/** What each bound of an item holds a pod's containers (or its total) to, in upstream's order. */
const POD_CONSTRAINTS: readonly (readonly [Bound, Constraint])[] = [
  ['min', minimum],
  ['max', maximum],
  ['maxLimitRequestRatio', ratio],
];
/** A claim has requests only: its max holds the request. */
const CLAIM_CONSTRAINTS: readonly (readonly [Bound, Constraint])[] = [
  ['min', minimum],
  ['max', maximumRequest],
];

/** The messages of everything in `spec` that `range` refuses, in upstream's order. */
export function podLimitErrors(range: LimitRange, spec: PodSpec): string[] {
  const errors: string[] = [];
  for (const item of range.spec?.limits ?? []) {
    if (item.type === 'Container') {
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
        errors.push(...itemErrors(item, POD_CONSTRAINTS, amounts(c.resources?.requests), amounts(c.resources?.limits)));
      }
    } else if (item.type === 'Pod') {
      errors.push(...itemErrors(item, POD_CONSTRAINTS, podTotal(spec, 'requests'), podTotal(spec, 'limits')));
    }
  }
  return errors;
}

/** The messages of what `range` refuses in the claim's requests; its limits are no user input here. */
export function claimLimitErrors(range: LimitRange, claim: PersistentVolumeClaim): string[] {
  const requests = amounts(claim.spec?.resources?.requests);
  return (range.spec?.limits ?? []).filter((item) => item.type === 'PersistentVolumeClaim').flatMap((item) => itemErrors(item, CLAIM_CONSTRAINTS, requests, new Map()));
}

function itemErrors(item: LimitRangeItem, constraints: readonly (readonly [Bound, Constraint])[], requests: Amounts, limits: Amounts): string[] {
  const errors: string[] = [];
  for (const [bound, constraint] of constraints) {
    const list = item[bound] as ResourceList | undefined;
    for (const name of sortedKeys(list)) {
      const error = constraint(item.type, name, amountOf(list!, name), requests, limits);
      if (error !== undefined) errors.push(error);
    }
  }
  return errors;
}

function minimum(type: string, name: string, enforced: Amount, requests: Amounts, limits: Amounts): string | undefined {
  const request = requests.get(name);
  const limit = limits.get(name);
  const [r, l, e] = comparable(request, limit, enforced);
  const what = `minimum ${name} usage per ${type} is ${enforced.text}`;
  if (request === undefined) return `${what}.  No request is specified`;
  if (r < e) return `${what}, but request is ${request.text}`;
  if (limit !== undefined && l < e) return `${what}, but limit is ${limit.text}`;
  return undefined;
}

function maximum(type: string, name: string, enforced: Amount, requests: Amounts, limits: Amounts): string | undefined {
  const request = requests.get(name);
  const limit = limits.get(name);
  const [r, l, e] = comparable(request, limit, enforced);
  const what = `maximum ${name} usage per ${type} is ${enforced.text}`;
  if (limit === undefined) return `${what}.  No limit is specified`;
  if (l > e) return `${what}, but limit is ${limit.text}`;
  if (request !== undefined && r > e) return `${what}, but request is ${request.text}`;
  return undefined;
}

/** maxRequestConstraint: the max of a kind without limits (claims) holds its request. */
function maximumRequest(type: string, name: string, enforced: Amount, requests: Amounts): string | undefined {
  const request = requests.get(name);
  const [r, , e] = comparable(request, undefined, enforced);
  const what = `maximum ${name} usage per ${type} is ${enforced.text}`;
  if (request === undefined) return `${what}.  No request is specified`;
  if (r > e) return `${what}, but request is ${request.text}`;
  return undefined;
}

function ratio(type: string, name: string, enforced: Amount, requests: Amounts, limits: Amounts): string | undefined {
  const request = requests.get(name);
  const limit = limits.get(name);
  const [r, l] = comparable(request, limit, enforced);
  const what = `${name} max limit to request ratio per ${type} is ${enforced.text}`;
  if (request === undefined || r === 0n) return `${what}, but no request is specified or request is 0`;
  if (limit === undefined || l === 0n) return `${what}, but no limit is specified or limit is 0`;
  // float64s, as upstream divides: in milli units unless the ratio itself is too large for them.
  const observed = Number(l) / Number(r);
  const whole = integerValue(enforced.amount);
  const [scaled, bound] = whole <= MAX_MILLI_VALUE ? [observed * 1000, Number(milliValue(enforced.amount))] : [observed, Number(whole)];
  return scaled > bound ? `${what}, but provided ratio is ${goFixed(observed)}` : undefined;
}

/** requestLimitEnforcedValues: the three in milli units, or in whole units when one is too large for milli (an absent one is 0). */
function comparable(...amounts: (Amount | undefined)[]): bigint[] {
  const whole = amounts.map((a) => (a === undefined ? 0n : integerValue(a.amount)));
  return whole.every((v) => v <= MAX_MILLI_VALUE) ? amounts.map((a) => (a === undefined ? 0n : milliValue(a.amount))) : whole;
}

/**
 * podRequests / podLimits: the containers' sum, each sidecar (an init
 * container with restartPolicy Always) added to it, and the larger of that
 * and what any other init container needs beside the sidecars started
 * before it.
 */
function podTotal(spec: PodSpec, field: 'requests' | 'limits'): Amounts {
  const total: Amounts = new Map();
  for (const c of spec.containers ?? []) addInto(total, listOf(c, field));
  const sidecars: Amounts = new Map();
  const init: Amounts = new Map();
  for (const c of spec.initContainers ?? []) {
    const own = listOf(c, field);
    let needs: Amounts;
    if (c.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      needs = sidecars;
    } else {
      needs = new Map(own);
      addInto(needs, sidecars);
    }
    maxInto(init, needs);
  }
  maxInto(total, init);
  return total;
}

function listOf(c: Container, field: 'requests' | 'limits'): Amounts {
  return amounts(c.resources?.[field]);
}

function addInto(to: Amounts, from: Amounts): void {
  for (const [name, a] of from) {
    const had = to.get(name);
    if (had === undefined) to.set(name, a);
    else {
      const sum = add(had.amount, a.amount);
      to.set(name, { amount: sum, text: formatQuantity(sum) });
    }
  }
}

function maxInto(to: Amounts, from: Amounts): void {
  for (const [name, a] of from) {
    const had = to.get(name);
    if (had === undefined || compare(a.amount, had.amount) > 0) to.set(name, a);
  }
}

function amounts(list: ResourceList | undefined): Amounts {
  return new Map(sortedKeys(list).map((name) => [name, amountOf(list!, name)]));
}

function amountOf(list: ResourceList, name: string): Amount {
  return { amount: quantityOf(list, name), text: list[name]! };
}
