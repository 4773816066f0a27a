// `kubectl get events`. Both API groups' Events are one object upstream and
// print alike; events.k8s.io/v1 only renames the fields.
import type { Event } from 'kubernetes-types/core/v1.js';
import type { Event as EventsV1Event } from 'kubernetes-types/events/v1.js';
import { coreEvent } from '../kinds/events.js';
import type { KubeObject } from '../objects.js';
import { column, docs } from './columns.js';
import { since } from './duration.js';
import type { Printer, TableColumn } from './table.js';

const columns: TableColumn[] = [
  column('Last Seen', 'string', docs.evLast),
  column('Type', 'string', docs.evType),
  column('Reason', 'string', docs.evReason),
  column('Object', 'string', docs.evInvolved),
  column('Subobject', 'string', docs.fieldPath, 1),
  column('Source', 'string', docs.evSource, 1),
  column('Message', 'string', docs.evMessage),
  column('First Seen', 'string', docs.evFirst, 1),
  column('Count', 'string', docs.evCount, 1),
  column('Name', 'string', docs.name, 1, 'name'),
];

export const eventPrinter: Printer = {
  columns,
  cells: (object, now) => eventCells(object as unknown as Event, object, now),
};

export const eventsV1Printer: Printer = {
  columns,
  cells: (object, now) => eventCells(coreEvent(object as unknown as EventsV1Event), object, now),
};

function eventCells(event: Event, object: KubeObject, now: Date): unknown[] {
  // Events from the newer API carry eventTime and series instead of the timestamps and count.
  const firstSeen = event.firstTimestamp ? since(event.firstTimestamp, now) : since(event.eventTime, now);
  let lastSeen = event.lastTimestamp ? since(event.lastTimestamp, now) : firstSeen;
  let count = event.count ?? 0;
  if (event.series) {
    lastSeen = since(event.series.lastObservedTime, now);
    count = event.series.count ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const involved = event.involvedObject ?? {};
  const kind = (involved.kind ?? '').toLowerCase();
  const component = event.source?.component || event.reportingComponent || '';
  const instance = event.source?.host || event.reportingInstance || '';
  return [
    lastSeen,
    event.type ?? '',
    event.reason ?? '',
    involved.name ? `${kind}/${involved.name}` : kind,
    involved.fieldPath ?? '',
    instance ? `${component}, ${instance}` : component,
    (event.message ?? '').trim(),
    firstSeen,
    count,
    object.metadata.name ?? '',
  ];
}
