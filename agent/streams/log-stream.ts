// `kubectl logs` on the node: which file (the newest container of that name,
// or with `previous` the log of its restart before), checked as kubelet
// checks it, then read as ./container-log.ts reads it.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound } from '../cri/connection.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import { STDOUT, type PodStream, type PodStreamRequest } from '../../common/pod-streams.js';
import { readContainerLog } from './container-log.js';
import { podContainer } from './pod-containers.js';
import { readOnlyStream } from './read-only-stream.js';
import { refuse } from './stream-request.js';

export type LogRequest = Extract<PodStreamRequest, { kind: 'log' }>;

export async function openLogStream(runtime: RuntimeClient, logRoot: string, request: LogRequest, checkIntervalMs?: number): Promise<PodStream> {
  const { pod, container: name, options } = request;
  const container = await podContainer(runtime, pod, name);
  if (container === undefined || container.state === 'CONTAINER_CREATED') {
    throw refuse.badRequest(`container "${name}" in pod "${pod.name}" is waiting to start: ContainerCreating`);
  }
  const { status } = await runtime.containerStatus(container.id);
  let path = status.logPath;
  if (options.previous) {
    // The lifecycle's restarts write <container>/<restartCount>.log beside each other.
    const attempt = status.metadata?.attempt ?? 0;
    path = join(logRoot, `${pod.namespace}_${pod.name}_${pod.uid}`, name, `${attempt - 1}.log`);
    if (attempt < 1 || !(await access(path).then(() => true, () => false))) {
      throw refuse.badRequest(`previous terminated container "${name}" in pod "${pod.name}" not found`);
    }
  }
  if (path === '' || !(await access(path).then(() => true, () => false))) {
    throw refuse.badRequest(`the log of container "${name}" in pod "${pod.name}" is not there (${path === '' ? 'the runtime names no log file' : path})`);
  }
  const sinceMs = options.sinceTime !== undefined ? Date.parse(options.sinceTime) : options.sinceSeconds !== undefined ? Date.now() - options.sinceSeconds * 1000 : undefined;
  const running = async () => {
    try {
      return (await runtime.containerStatus(container.id)).status.state === 'CONTAINER_RUNNING';
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };
  return readOnlyStream(STDOUT, (signal) =>
    readContainerLog(path, {
      // The log of a previous restart is complete: nothing to follow.
      follow: options.follow && !options.previous,
      timestamps: options.timestamps,
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
      ...(options.limitBytes !== undefined ? { limitBytes: options.limitBytes } : {}),
      ...(checkIntervalMs !== undefined ? { checkIntervalMs } : {}),
      running,
      signal,
    }),
  );
}
