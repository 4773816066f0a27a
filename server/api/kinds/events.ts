// Events: core/v1 and events.k8s.io/v1 serve one object, stored as the core
// one (upstream keeps both at /registry/events), so `kubectl get events` and
// `kubectl describe` show what a controller reported through either group.
// Validated as upstream's ValidateEventCreate/ValidateEventUpdate do: every
// request passes the legacy checks; one through events.k8s.io/v1 also the
// strict ones. Field paths are upstream's internal names (reportingController,
// count, source), whichever group the request came through.
import type { Event, EventSource, ObjectReference } from 'kubernetes-types/core/v1.js';
import type { Event as EventsV1Event } from 'kubernetes-types/events/v1.js';
import type { KubeObject } from '../objects.js';
import { checkName } from '../registry/names.js';
import type { KindRules, VersionConversion } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { semanticEqual, zerolessEqual } from './equality.js';
import { IMMUTABLE, invalid, quote, required } from './field-errors.js';
import { validateQualifiedName } from './labels.js';

type EventObject = KubeObject & Event;
type NewEventObject = KubeObject & EventsV1Event;

/** Upstream's --event-ttl default: events are a recent history, not a log kept on the SD card. */
const EVENT_TTL_SECONDS = 3600;
const LENGTH_LIMIT = 128;
const NOTE_LENGTH_LIMIT = 1024;

export const eventRules: KindRules = {
  ttlSeconds: EVENT_TTL_SECONDS,
  validate: (obj) => legacyCauses(obj as EventObject),
};

/** events.k8s.io/v1: the same objects, renamed fields, and the strict checks on what is written through it. */
export const newEventRules: KindRules = {
  ttlSeconds: EVENT_TTL_SECONDS,
  validate: (obj, old) => [...legacyCauses(obj as EventObject), ...strictCauses(obj as EventObject, old as EventObject | undefined)],
  conversions: {
    v1: {
      toStored: (obj) => coreEvent(obj as NewEventObject) as unknown as KubeObject,
      fromStored: (obj) => newEvent(obj as EventObject) as unknown as KubeObject,
    } satisfies VersionConversion,
  },
};

/** legacyValidateEvent: a new-style event (with eventTime) names who reported it, what happened and why. */
function legacyCauses(event: EventObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const namespace = event.metadata.namespace ?? '';
  const objectNamespace = event.involvedObject?.namespace ?? '';
  const mismatch = (): StatusCause => invalid('involvedObject.namespace', quote(objectNamespace), 'does not match event.namespace');
  if (!event.eventTime) {
    // Old-style events of cluster-scoped objects may sit in "default", for old clients.
    if (objectNamespace === '' ? namespace !== '' && namespace !== 'default' : namespace !== objectNamespace) causes.push(mismatch());
  } else {
    if (objectNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') causes.push(mismatch());
    const controller = event.reportingComponent ?? '';
    if (controller === '') causes.push(required('reportingController'));
    causes.push(...validateQualifiedName(controller, 'reportingController'));
    causes.push(...limited('reportingInstance', event.reportingInstance, LENGTH_LIMIT, true));
    causes.push(...limited('action', event.action, LENGTH_LIMIT, true));
    causes.push(...limited('reason', event.reason, LENGTH_LIMIT, true));
    causes.push(...limited('message', event.message, NOTE_LENGTH_LIMIT, false));
  }
  return [...causes, ...checkName(namespace, 'subdomain', 'namespace')];
}

function limited(field: string, value: string | undefined, limit: number, mandatory: boolean): StatusCause[] {
  const text = value ?? '';
  if (mandatory && text === '') return [required(field)];
  return text.length > limit ? [invalid(field, quote(''), `can have at most ${limit} characters`)] : [];
}

/** What only events.k8s.io/v1 requires: the new fields set, the deprecated ones left alone, and nothing rewritten later but the series. */
function strictCauses(event: EventObject, old: EventObject | undefined): StatusCause[] {
  if (old !== undefined) {
    const causes = semanticEqual(event.series, old.series) ? [] : seriesCauses(event);
    for (const [field, path, show] of IMMUTABLE_FIELDS) {
      if (!immutableEqual(field, event[field], old[field])) causes.push(invalid(path, show(event[field] as never), IMMUTABLE));
    }
    return causes;
  }
  const causes = seriesCauses(event);
  if (!event.eventTime) causes.push(required('eventTime'));
  if (event.type !== 'Normal' && event.type !== 'Warning') causes.push(invalid('type', '""', `has invalid value: ${event.type ?? ''}`));
  if (event.firstTimestamp) causes.push(invalid('firstTimestamp', '""', 'needs to be unset'));
  if (event.lastTimestamp) causes.push(invalid('lastTimestamp', '""', 'needs to be unset'));
  if (event.count) causes.push(invalid('count', '""', 'needs to be unset'));
  if (event.source?.component || event.source?.host) causes.push(invalid('source', '""', 'needs to be unset'));
  return causes;
}

/** Semantic.DeepEqual of the internal Event's fields: absent and zero are one value, an empty struct included, except for the pointer (related). */
function immutableEqual(field: keyof Event, a: unknown, b: unknown): boolean {
  if (field === 'related') return semanticEqual(a, b);
  return field === 'involvedObject' || field === 'source' ? zerolessEqual(a ?? {}, b ?? {}) : zerolessEqual(a, b);
}

function seriesCauses(event: EventObject): StatusCause[] {
  if (event.series == null) return [];
  const causes: StatusCause[] = [];
  if ((event.series.count ?? 0) < 2) causes.push(invalid('series.count', '""', 'should be at least 2'));
  if (!event.series.lastObservedTime) causes.push(required('series.lastObservedTime'));
  return causes;
}

// ValidateEventUpdate's immutable fields in its order (it lists reason twice, so a changed reason is reported twice), each with how upstream prints its new value.
const IMMUTABLE_FIELDS: readonly [keyof Event, string, (value: never) => string][] = [
  ['involvedObject', 'involvedObject', goReference],
  ['reason', 'reason', goString],
  ['message', 'message', goString],
  ['source', 'source', goSource],
  ['firstTimestamp', 'firstTimestamp', goTime],
  ['lastTimestamp', 'lastTimestamp', goTime],
  ['count', 'count', (n: number | undefined) => String(n ?? 0)],
  ['reason', 'reason', goString],
  ['type', 'type', goString],
  ['eventTime', 'eventTime', goTime],
  ['action', 'action', goString],
  ['related', 'related', (ref: ObjectReference | undefined) => (ref == null ? '"null"' : goReference(ref))],
  ['reportingComponent', 'reportingController', goString],
  ['reportingInstance', 'reportingInstance', goString],
];

function goString(value: string | undefined): string {
  return quote(value ?? '');
}

/** %#v of a core.ObjectReference. */
function goReference(ref: ObjectReference | undefined): string {
  const r = ref ?? {};
  const fields = [['Kind', r.kind], ['Namespace', r.namespace], ['Name', r.name], ['UID', r.uid], ['APIVersion', r.apiVersion], ['ResourceVersion', r.resourceVersion], ['FieldPath', r.fieldPath]];
  return `core.ObjectReference{${fields.map(([k, v]) => `${k}:${quote(v ?? '')}`).join(', ')}}`;
}

/** %#v of a core.EventSource. */
function goSource(source: EventSource | undefined): string {
  return `core.EventSource{Component:${quote(source?.component ?? '')}, Host:${quote(source?.host ?? '')}}`;
}

/** A metav1.Time or MicroTime as its String() prints it (Go's time.Time.String, in UTC): "2024-05-01 10:00:00.5 +0000 UTC". */
function goTime(value: string | undefined): string {
  if (!value) return '0001-01-01 00:00:00 +0000 UTC';
  const [date, time] = new Date(value).toISOString().slice(0, -1).split('T') as [string, string];
  // Go keeps up to nanoseconds and trims trailing zeros; the text carries at most microseconds.
  const fraction = /\.(\d+)/.exec(value)?.[1]?.replace(/0+$/, '') ?? '';
  return `${date} ${time.slice(0, 8)}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}

/** Convert_v1_Event_To_core_Event: regarding, note and the deprecated fields take their core names. */
export function coreEvent(e: EventsV1Event & { metadata?: KubeObject['metadata'] }): Event {
  const { regarding, note, deprecatedSource, deprecatedFirstTimestamp, deprecatedLastTimestamp, deprecatedCount, reportingController, ...same } = e;
  return {
    ...same,
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata ?? {},
    involvedObject: regarding ?? {},
    ...(note !== undefined && { message: note }),
    ...(deprecatedSource !== undefined && { source: deprecatedSource }),
    ...(deprecatedFirstTimestamp !== undefined && { firstTimestamp: deprecatedFirstTimestamp }),
    ...(deprecatedLastTimestamp !== undefined && { lastTimestamp: deprecatedLastTimestamp }),
    ...(deprecatedCount !== undefined && { count: deprecatedCount }),
    ...(reportingController !== undefined && { reportingComponent: reportingController }),
  };
}

/** Convert_core_Event_To_v1_Event. */
function newEvent(e: Event): EventsV1Event {
  const { involvedObject, message, source, firstTimestamp, lastTimestamp, count, reportingComponent, ...same } = e;
  return {
    ...same,
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    ...(involvedObject !== undefined && { regarding: involvedObject }),
    ...(message !== undefined && { note: message }),
    ...(source !== undefined && { deprecatedSource: source }),
    ...(firstTimestamp !== undefined && { deprecatedFirstTimestamp: firstTimestamp }),
    ...(lastTimestamp !== undefined && { deprecatedLastTimestamp: lastTimestamp }),
    ...(count !== undefined && { deprecatedCount: count }),
    ...(reportingComponent !== undefined && { reportingController: reportingComponent }),
  } as EventsV1Event;
}
