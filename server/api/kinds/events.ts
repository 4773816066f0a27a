// core/v1 Events, validated as upstream validates requests in v1: an event
// lives in its object's namespace, and a new-style event (with eventTime)
// names who reported it, what happened and why.
import type { Event } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import { checkName } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { invalid, quote, required } from './field-errors.js';
import { validateQualifiedName } from './labels.js';

type EventObject = KubeObject & Event;

/** Upstream's --event-ttl default: events are a recent history, not a log kept on the SD card. */
const EVENT_TTL_SECONDS = 3600;
const LENGTH_LIMIT = 128;
const NOTE_LENGTH_LIMIT = 1024;

export const eventRules: KindRules = {
  ttlSeconds: EVENT_TTL_SECONDS,
  validate(obj: KubeObject): StatusCause[] {
    const event = obj as EventObject;
    const causes: StatusCause[] = [];
    const namespace = event.metadata.namespace ?? '';
    const objectNamespace = event.involvedObject?.namespace ?? '';
    const mismatch = (): StatusCause => invalid('involvedObject.namespace', quote(objectNamespace), 'does not match event.namespace');
    if (!event.eventTime) {
      // Old-style events of cluster-scoped objects may sit in "default", for old clients.
      if (objectNamespace === '' ? namespace !== '' && namespace !== 'default' : namespace !== objectNamespace) causes.push(mismatch());
    } else {
      if (objectNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') causes.push(mismatch());
      const component = event.reportingComponent ?? '';
      if (component === '') causes.push(required('reportingComponent'));
      causes.push(...validateQualifiedName(component, 'reportingComponent'));
      causes.push(...limited('reportingInstance', event.reportingInstance, LENGTH_LIMIT, true));
      causes.push(...limited('action', event.action, LENGTH_LIMIT, true));
      causes.push(...limited('reason', event.reason, LENGTH_LIMIT, true));
      causes.push(...limited('message', event.message, NOTE_LENGTH_LIMIT, false));
    }
    return [...causes, ...checkName(namespace, 'subdomain', 'namespace')];
  },
};

function limited(field: string, value: string | undefined, limit: number, mandatory: boolean): StatusCause[] {
  const text = value ?? '';
  if (mandatory && text === '') return [required(field)];
  return text.length > limit ? [invalid(field, quote(''), `can have at most ${limit} characters`)] : [];
}

/** events.k8s.io/v1 Events: stored apart from core/v1's, and they expire alike. */
export const newEventRules: KindRules = { ttlSeconds: EVENT_TTL_SECONDS };
