// A container's lifecycle hook (preStop) run as kubelet's handler runner
// runs it (pkg/kubelet/lifecycle/handlers.go): exec through the runtime's
// ExecSync, httpGet against the pod's IP (or the hook's host), sleep; each
// within the time it is given. Returns why it failed, or undefined.
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimeClient } from '../cri/runtime-client.js';

export interface HookTarget {
  readonly pod: Pod;
  readonly container: Container;
  readonly containerId: string;
  /** The pod's IP, for an httpGet hook without a host. */
  readonly podIp: string | undefined;
}

/** kubelet's format.Pod: NAME_NAMESPACE(UID), as its messages name a pod. */
export function podDescription(pod: Pod): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
}

export async function runHook(runtime: RuntimeClient, handler: LifecycleHandler, target: HookTarget, timeoutSeconds: number): Promise<string | undefined> {
  const { container, pod } = target;
  if (handler.exec !== undefined) {
    const command = handler.exec.command ?? [];
    try {
      const result = await runtime.execSync(target.containerId, command, timeoutSeconds);
      if (result.exitCode === 0) return undefined;
      const output = Buffer.concat([result.stdout, result.stderr]).toString('utf8');
      return `Exec lifecycle hook ([${command.join(' ')}]) for Container "${container.name}" in Pod "${podDescription(pod)}" failed - error: command '${command.join(' ')}' exited with ${result.exitCode}: ${output}, message: ${JSON.stringify(output)}`;
    } catch (err) {
      return `Exec lifecycle hook ([${command.join(' ')}]) for Container "${container.name}" in Pod "${podDescription(pod)}" failed - error: ${(err as Error).message}, message: ""`;
    }
  }
  if (handler.httpGet !== undefined) {
    const get = handler.httpGet;
    const port = typeof get.port === 'number' ? get.port : Number.isInteger(Number(get.port)) ? Number(get.port) : container.ports?.find((p) => p.name === get.port)?.containerPort;
    const host = get.host || target.podIp;
    if (port === undefined || host === undefined) return `Http lifecycle hook (${get.path ?? ''}) for Container "${container.name}" in Pod "${podDescription(pod)}" failed - error: no ${port === undefined ? `port named ${JSON.stringify(get.port)}` : 'pod IP'}`;
    const path = get.path ?? '/';
    const url = `${(get.scheme ?? 'HTTP').toLowerCase()}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
    try {
      const response = await fetch(url, { headers: Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value])), signal: AbortSignal.timeout(Math.max(1, timeoutSeconds) * 1000) });
      await response.arrayBuffer();
      if (response.status >= 200 && response.status < 400) return undefined;
      return `Http lifecycle hook (${path}) for Container "${container.name}" in Pod "${podDescription(pod)}" failed - error: HTTP lifecycle hook (${path}) for Container "${container.name}" in Pod "${podDescription(pod)}" failed with status: ${response.status}`;
    } catch (err) {
      return `Http lifecycle hook (${path}) for Container "${container.name}" in Pod "${podDescription(pod)}" failed - error: ${(err as Error).message}`;
    }
  }
  if (handler.sleep !== undefined) {
    await sleep(Math.min(handler.sleep.seconds, timeoutSeconds) * 1000);
    return undefined;
  }
  return `lifecycle hook for Container "${container.name}" in Pod "${podDescription(pod)}" has no handler`;
}
