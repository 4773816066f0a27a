// core/v1 Nodes, as upstream's node strategy, defaults and
// ValidateNode/ValidateNodeUpdate treat them (Kubernetes 1.31): capacity and
// allocatable decoded as resource.Quantity (allocatable defaults to
// capacity), podCIDR and podCIDRs kept in agreement as upstream's
// conversion keeps them; taints (in spec and in the old taints annotation)
// with a qualified key, a label value, a known effect and no two with the
// same key and effect; the preferAvoidPods annotation; non-negative
// quantities, whole ones for countable resources; pod CIDRs valid, one per
// family; and on updates podCIDRs and providerID set once, externalID never
// changed, status addresses not repeated. Upstream's main update runs both
// ValidateNode and ValidateNodeUpdate, so some causes come twice, as there.
import type { Node, NodeSpec, NodeStatus, Taint } from 'kubernetes-types/core/v1.js';
import { parseCidr } from '../../../common/ip-addresses.js';
import { formatQuantity, isInteger, parseQuantity, type Quantity, roundUp } from '../../../common/quantity.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import { ApiError, type StatusCause } from '../status.js';
import { decodeError, duplicate, forbidden, goPointer, goStrings, invalid, NON_NEGATIVE, notSupported, quote, required, sortedKeys, VALID_CIDR } from './field-errors.js';
import { type GoType, goUnmarshal } from './go-json.js';
import { labelValueErrors, validateQualifiedName } from './labels.js';
import { isIntegerResource, type ResourceList } from './resource-lists.js';

type NodeObject = KubeObject & Node;

const TAINTS_ANNOTATION = 'scheduler.alpha.kubernetes.io/taints';
const AVOID_PODS_ANNOTATION = 'scheduler.alpha.kubernetes.io/preferAvoidPods';
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const PODCIDR_CHANGED = 'node updates may not change podCIDR except from "" to valid';

export const nodeRules: KindRules = {
  decodeInput(obj) {
    const node = obj as NodeObject;
    const status = node.status as (NodeStatus & { config?: unknown }) | undefined;
    if (status != null) {
      // SetDefaults_NodeStatus, then SetDefaults_ResourceList: milli units, canonical form.
      if (status.allocatable == null && status.capacity != null) status.allocatable = { ...status.capacity };
      for (const list of [status.capacity, status.allocatable] as (ResourceList | undefined)[]) {
        for (const name of Object.keys(list ?? {})) {
          const q = parseQuantity(list![name]!);
          if (typeof q === 'string') throw decodeError(obj, q);
          list![name] = formatQuantity(roundUp(q, -3));
        }
      }
      // Dynamic kubelet config is gone: upstream drops status.config (and
      // spec.configSource) on create and keeps them only on a Node that
      // already has them, which therefore none can.
      delete status.config;
    }
    const spec = node.spec as (NodeSpec & { configSource?: unknown }) | undefined;
    if (spec != null) {
      delete spec.configSource;
      // Upstream's conversion: podCIDR wins over a podCIDRs that disagrees, and is podCIDRs[0] on the way out.
      const first = spec.podCIDR ?? '';
      if (first !== '' && (spec.podCIDRs == null || spec.podCIDRs.length === 0 || spec.podCIDRs[0] !== first)) spec.podCIDRs = [first];
      if (spec.podCIDRs != null && spec.podCIDRs.length > 0) spec.podCIDR = spec.podCIDRs[0]!;
    }
  },
  validate(obj, old) {
    const node = obj as NodeObject;
    return old === undefined ? validateNode(node) : [...validateNode(node), ...validateNodeUpdate(node, old as NodeObject)];
  },
  validateStatus(obj, old) {
    return validateNodeUpdate(obj as NodeObject, old as NodeObject);
  },
};

/** ValidateNode, less the metadata checks every kind gets. */
function validateNode(node: NodeObject): StatusCause[] {
  const causes = validateNodeAnnotations(node.metadata.annotations ?? {});
  const taints = node.spec?.taints ?? [];
  // Upstream reports spec.taints under metadata.
  if (taints.length > 0) causes.push(...validateTaints(taints, 'metadata.taints'));
  causes.push(...validateResources(node.status));
  const cidrs = node.spec?.podCIDRs ?? [];
  cidrs.forEach((cidr, i) => {
    if (parseCidr(cidr) === undefined) causes.push(invalid(`spec.podCIDRs[${i}]`, quote(cidr), VALID_CIDR));
  });
  if (cidrs.length > 1) {
    const bad = cidrs.findIndex((cidr) => parseCidr(cidr) === undefined);
    if (bad >= 0) {
      causes.push({
        reason: 'InternalError',
        message: `Internal error: invalid PodCIDRs. failed to check with dual stack with error:invalid CIDR[${bad}]: <nil> (invalid CIDR address: ${cidrs[bad]})`,
        field: 'spec.podCIDRs',
      });
    }
    const families = new Set(cidrs.map((cidr) => parseCidr(cidr)?.ip.family));
    const dualStack = bad < 0 && families.has(4) && families.has(6);
    if (!dualStack || cidrs.length > 2) causes.push(invalid('spec.podCIDRs', goStrings(cidrs), 'may specify no more than one CIDR for each IP family'));
    cidrs.forEach((cidr, i) => {
      if (cidrs.indexOf(cidr) < i) causes.push(duplicate(`spec.podCIDRs[${i}]`, quote(cidr)));
    });
  }
  return causes;
}

/** ValidateNodeUpdate: what changes may not, and the status. */
function validateNodeUpdate(node: NodeObject, old: NodeObject): StatusCause[] {
  const causes = validateNodeAnnotations(node.metadata.annotations ?? {});
  causes.push(...validateResources(node.status));
  const seen = new Set<string>();
  (node.status?.addresses ?? []).forEach((address, i) => {
    const rendered = `core.NodeAddress{Type:${quote(address.type ?? '')}, Address:${quote(address.address ?? '')}}`;
    if (seen.has(rendered)) causes.push(duplicate(`status.addresses[${i}]`, rendered));
    seen.add(rendered);
  });
  const before = old.spec?.podCIDRs ?? [];
  const after = node.spec?.podCIDRs ?? [];
  if (before.length > 0) {
    if (before.length !== after.length) causes.push(forbidden('spec.podCIDRs', PODCIDR_CHANGED));
    else before.forEach((cidr, i) => cidr !== after[i] && causes.push(forbidden('spec.podCIDRs', PODCIDR_CHANGED)));
  }
  const providerID = old.spec?.providerID ?? '';
  if (providerID !== '' && providerID !== (node.spec?.providerID ?? '')) {
    causes.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  const taints = node.spec?.taints ?? [];
  if (taints.length > 0) causes.push(...validateTaints(taints, 'metadata.taints'));
  if ((node.spec?.externalID ?? '') !== (old.spec?.externalID ?? '')) causes.push(forbidden('spec.externalID', 'may not be updated'));
  return causes;
}

/** validateNodeTaints. */
function validateTaints(taints: readonly Taint[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const unique = new Map<string, Set<string>>();
  taints.forEach((taint, i) => {
    const at = `${path}[${i}]`;
    const key = taint.key ?? '';
    const value = taint.value ?? '';
    const effect = taint.effect ?? '';
    causes.push(...validateQualifiedName(key, `${at}.key`));
    const valueErrors = labelValueErrors(value);
    if (valueErrors.length > 0) causes.push(invalid(`${at}.value`, quote(value), valueErrors.join(';')));
    if (effect === '') causes.push(required(`${at}.effect`));
    else if (!TAINT_EFFECTS.includes(effect)) causes.push(notSupported(`${at}.effect`, quote(effect), TAINT_EFFECTS));
    const keys = unique.get(effect) ?? new Set<string>();
    if (keys.has(key)) {
      const cause = duplicate(at, goTaint(taint));
      causes.push({ ...cause, message: `${cause.message}: taints must be unique by key and effect pair` });
      return;
    }
    unique.set(effect, keys.add(key));
  });
  return causes;
}

/** %#v of a core.Taint. A set timeAdded is a pointer, which Go prints as its address: any one is as good. */
function goTaint(t: Taint): string {
  return `core.Taint{Key:${quote(t.key ?? '')}, Value:${quote(t.value ?? '')}, Effect:${quote(t.effect ?? '')}, TimeAdded:${goPointer('v1.Time', t.timeAdded)}}`;
}

// --- annotations ------------------------------------------------------------------

const TIME: GoType = { kind: 'time' };
const STRING: GoType = { kind: 'string', name: 'string' };
/** The internal core.Taint: no JSON tags, so its fields go by their Go names (matched in any case). */
const CORE_TAINTS: GoType = {
  kind: 'slice',
  name: '[]core.Taint',
  elem: { kind: 'struct', name: 'core.Taint', fields: { Key: STRING, Value: STRING, Effect: { kind: 'string', name: 'core.TaintEffect' }, TimeAdded: { kind: 'pointer', elem: TIME } } },
};

interface CoreTaint {
  Key: string;
  Value: string;
  Effect: string;
  TimeAdded?: string;
}

const BOOL_POINTER: GoType = { kind: 'pointer', elem: { kind: 'bool' } };
const AVOID_PODS: GoType = {
  kind: 'struct',
  name: 'v1.AvoidPods',
  fields: {
    preferAvoidPods: {
      kind: 'slice',
      name: '[]v1.PreferAvoidPodsEntry',
      elem: {
        kind: 'struct',
        name: 'v1.PreferAvoidPodsEntry',
        fields: {
          podSignature: {
            kind: 'struct',
            name: 'v1.PodSignature',
            fields: {
              podController: {
                kind: 'pointer',
                elem: {
                  kind: 'struct',
                  name: 'v1.OwnerReference',
                  fields: { apiVersion: STRING, kind: STRING, name: STRING, uid: { kind: 'string', name: 'types.UID' }, controller: BOOL_POINTER, blockOwnerDeletion: BOOL_POINTER },
                },
              },
            },
          },
          evictionTime: TIME,
          reason: STRING,
          message: STRING,
        },
      },
    },
  },
};

interface AvoidPods {
  preferAvoidPods: { podSignature: { podController?: { controller?: boolean } } }[];
}

/** ValidateNodeSpecificAnnotations: the taints and preferAvoidPods annotations, as JSON of their Go types. */
function validateNodeAnnotations(annotations: Readonly<Record<string, string>>): StatusCause[] {
  const causes: StatusCause[] = [];
  const path = 'metadata.annotations';
  const taintsText = annotations[TAINTS_ANNOTATION] ?? '';
  if (taintsText !== '') {
    const { value, error } = goUnmarshal(taintsText, CORE_TAINTS);
    if (error !== undefined) causes.push(invalid(path, quote(TAINTS_ANNOTATION), error));
    else {
      const taints = (value as CoreTaint[]).map((t) => ({ key: t.Key, value: t.Value, effect: t.Effect, ...(t.TimeAdded !== undefined ? { timeAdded: t.TimeAdded } : {}) }));
      causes.push(...validateTaints(taints, `${path}.${TAINTS_ANNOTATION}`));
    }
  }
  const avoidText = annotations[AVOID_PODS_ANNOTATION] ?? '';
  if (avoidText !== '') {
    const { value, error } = goUnmarshal(avoidText, AVOID_PODS);
    if (error !== undefined) causes.push(invalid(`${path}.AvoidPods`, quote(AVOID_PODS_ANNOTATION), error));
    else {
      (value as AvoidPods).preferAvoidPods.forEach((entry, i) => {
        const at = `${path}.${AVOID_PODS_ANNOTATION}[${i}].PodSignature`;
        const controller = entry.podSignature.podController;
        if (controller === undefined) causes.push(required(at));
        // Upstream dereferences the missing pointer: the request panics.
        else if (controller.controller === undefined) throw new ApiError(500, 'InternalError', 'This request caused apiserver to panic. Look in the logs for details.');
        else if (!controller.controller) causes.push(invalid(`${at}.PodController.Controller`, 'false', 'must point to a controller'));
      });
    }
  }
  return causes;
}

// --- resources --------------------------------------------------------------------

/** ValidateNodeResources: capacity and allocatable, each quantity as ValidateResourceQuantityValue checks it. */
function validateResources(status: NodeStatus | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['capacity', 'allocatable'] as const) {
    const list = (status?.[field] ?? {}) as ResourceList;
    for (const name of sortedKeys(list)) {
      const path = `status.${field}.${name}`;
      const text = list[name]!;
      const q = parseQuantity(text);
      // Unparsable only in a Node stored before quantities were decoded.
      if (typeof q === 'string') continue;
      if (q.value < 0n) causes.push(invalid(path, quote(text), NON_NEGATIVE));
      if (isIntegerResource(name) && !isInteger(q)) causes.push(invalid(path, goQuantity(text, q), 'must be an integer'));
    }
  }
  return causes;
}

/**
 * %#v of the resource.Quantity a canonical quantity with a fraction decodes
 * to ("1500m": upstream's parser keeps 1500 × 10^-3 and the text). Upstream
 * prints what the client sent; clients that send canonical quantities
 * (kubelet, client-go) see the same.
 */
function goQuantity(text: string, q: Quantity): string {
  const m = /^(-?\d+)(m|e-3)$/.exec(text);
  const [value, scale] = m === null ? [q.value, q.scale] : [m[1], -3];
  return `resource.Quantity{i:resource.int64Amount{value:${value}, scale:${scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${quote(text)}, Format:${quote(q.format)}}`;
}
