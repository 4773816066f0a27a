// Finding what a pod stream is about on the runtime: the pod's sandbox (by
// its uid label, the ready one first, else the newest) and the newest
// container of a name in it, as kubelet resolves them for logs and exec.
import type { RuntimeClient } from '../cri/runtime-client.js';
import type { Container, PodSandbox } from '../cri/types.js';
import { newestFirst } from '../pods/pod-worker.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from '../pods/runtime-config.js';
import type { PodRef } from '../../common/pod-streams.js';

export async function podSandbox(runtime: RuntimeClient, pod: PodRef): Promise<PodSandbox | undefined> {
  const sandboxes = newestFirst(await runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: pod.uid } }));
  return sandboxes.find((s) => s.state === 'SANDBOX_READY') ?? sandboxes[0];
}

/** The newest container named `name` in the pod's sandbox, if there is one. */
export async function podContainer(runtime: RuntimeClient, pod: PodRef, name: string): Promise<Container | undefined> {
  const sandbox = await podSandbox(runtime, pod);
  if (sandbox === undefined) return undefined;
  const containers = await runtime.listContainers({ podSandboxId: sandbox.id, labelSelector: { [POD_UID_LABEL]: pod.uid, [CONTAINER_NAME_LABEL]: name } });
  return newestFirst(containers)[0];
}
