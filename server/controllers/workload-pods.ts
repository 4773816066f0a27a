// Writing the pods a workload controller (ReplicaSet, Job, DaemonSet,
// StatefulSet) manages: creations in slow-start batches, and the deletions
// it made that its cache has not seen yet.
import type { KubeObject } from '../api/objects.js';
import { keyOf } from './informer.js';
import type { SharedInformer } from './shared-informers.js';

/**
 * Runs `count` writes in batches of 1, 2, 4, … (upstream's slowStartBatch),
 * stopping after the first batch with a failure, so a template the API
 * refuses costs one request rather than one per pod. Rethrows the first
 * error (in the batch's order); a caller that needs how many writes
 * succeeded counts them in `write`.
 */
export async function slowStartBatch(count: number, write: (i: number) => Promise<void>): Promise<void> {
  let done = 0;
  for (let size = 1; done < count; size *= 2) {
    const batch = Array.from({ length: Math.min(size, count - done) }, (_, j) => write(done + j));
    const failed = (await Promise.allSettled(batch)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    done += batch.length;
  }
}

/**
 * Pods this controller deleted that its cache may still hold (the watch
 * brings the deletion later): reading them as there would delete or count
 * them twice. A pod is forgotten once the cache no longer has it.
 */
export class DeletedPods {
  readonly #deleted = new Map<string, string>();

  constructor(private readonly pods: SharedInformer) {
    pods.subscribe((key) => {
      if (this.#deleted.has(key) && this.#deleted.get(key) !== pods.get(key)?.metadata.uid) this.#deleted.delete(key);
    });
  }

  add(pod: KubeObject): void {
    const key = keyOf(pod);
    // The watch may have brought the deletion already.
    if (this.pods.get(key)?.metadata.uid === pod.metadata.uid) this.#deleted.set(key, pod.metadata.uid!);
  }

  has(pod: KubeObject): boolean {
    return this.#deleted.get(keyOf(pod)) === pod.metadata.uid;
  }
}
