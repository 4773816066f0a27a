// `kubectl get pods`: upstream printPod, including how it condenses phase,
// init containers and container states into the one STATUS word.
import type { Container, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { ageColumn, column, docs, nameColumn } from './columns.js';
import { parseTime, since } from './duration.js';
import type { Printer, TableRowCondition } from './table.js';

const columns = [
  nameColumn,
  column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'string', 'The aggregate status of the containers in this pod.'),
  column(
    'Restarts',
    'string',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ),
  ageColumn,
  column('IP', 'string', docs.podIP, 1),
  column('Node', 'string', docs.nodeName, 1),
  column('Nominated Node', 'string', docs.nominatedNodeName, 1),
  column('Readiness Gates', 'string', docs.readinessGates, 1),
];

export const podPrinter: Printer = {
  columns,
  cells: (object, now) => podCells(object as unknown as Pod, now),
  conditions(object) {
    const phase = (object as unknown as Pod).status?.phase;
    if (phase === 'Succeeded') return [completed('Succeeded', 'The pod has completed successfully.')];
    if (phase === 'Failed') return [completed('Failed', 'The pod failed.')];
    return undefined;
  },
};

function completed(reason: string, message: string): TableRowCondition {
  return { type: 'Completed', status: 'True', reason, message };
}

function podCells(pod: Pod, now: Date): unknown[] {
  const status: PodStatus = pod.status ?? {};
  const initContainers = pod.spec?.initContainers ?? [];
  const phase = status.phase ?? '';
  let reason = status.reason || phase;
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  // Sidecars (restartable init containers) count as containers, and their
  // restarts count even once the pod has initialized.
  const sidecars = new Set(initContainers.filter(isSidecar).map((c) => c.name));
  const totalContainers = (pod.spec?.containers ?? []).length + sidecars.size;
  let readyContainers = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestart: number | undefined;

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const container = initStatuses[i]!;
    const finishedAt = parseTime(container.lastState?.terminated?.finishedAt);
    restarts += container.restartCount ?? 0;
    lastRestart = later(lastRestart, finishedAt);
    const sidecar = sidecars.has(container.name);
    if (sidecar) {
      sidecarRestarts += container.restartCount ?? 0;
      lastSidecarRestart = later(lastSidecarRestart, finishedAt);
    }
    const { terminated, waiting } = container.state ?? {};
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && container.started === true) {
      if (container.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      reason = `Init:${terminated.reason || exitDescription(terminated.signal, terminated.exitCode)}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Backwards, so the first container's state is the one that shows.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i]!;
      restarts += container.restartCount ?? 0;
      lastRestart = later(lastRestart, parseTime(container.lastState?.terminated?.finishedAt));
      const { waiting, terminated, running } = container.state ?? {};
      if (waiting?.reason) {
        reason = waiting.reason;
      } else if (terminated?.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = exitDescription(terminated.signal, terminated.exitCode);
      } else if (container.ready && running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A container that completed beside one still running is not a completed pod.
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') {
    reason = 'Unknown';
  } else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  const restartsCell = restarts !== 0 && lastRestart !== undefined ? `${restarts} (${since(lastRestart, now)} ago)` : `${restarts}`;
  return [
    pod.metadata?.name ?? '',
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsCell,
    since(pod.metadata?.creationTimestamp, now),
    podIP(status) || '<none>',
    pod.spec?.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    readinessGates(pod),
  ];
}

function isSidecar(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

function exitDescription(signal: number | undefined, exitCode: number | undefined): string {
  return signal ? `Signal:${signal}` : `ExitCode:${exitCode ?? 0}`;
}

/** The later of two optional instants, as the Go code's Before comparisons pick. */
function later(a: number | undefined, b: number | undefined): number | undefined {
  if (b === undefined) return a;
  return a === undefined || a < b ? b : a;
}

/** The first condition of that type decides. */
function conditionTrue(conditions: readonly PodCondition[] | undefined, type: string): boolean {
  return conditions?.find((c) => c.type === type)?.status === 'True';
}

/** podIP wins over podIPs when they differ, as the v1 → internal conversion decides. */
function podIP(status: PodStatus): string | undefined {
  return status.podIP || status.podIPs?.[0]?.ip;
}

function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const ready = gates.filter((g) => conditionTrue(pod.status?.conditions, g.conditionType)).length;
  return `${ready}/${gates.length}`;
}
