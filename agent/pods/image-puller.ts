// A container's image made present on the node as kubelet's image manager
// does (pkg/kubelet/images/image_manager.go, kuberuntime_image.go):
// imagePullPolicy Always pulls every time a container is created,
// IfNotPresent only when missing, Never never (the API sets the default:
// Always for :latest or no tag, IfNotPresent otherwise). A pull uses the
// pod's imagePullSecrets that match the image's registry, each in turn until
// one works, else none. A failed pull puts that pod's image in back-off
// (10 s doubling to 5 min): the container waits with ErrImagePull, then
// ImagePullBackOff until the back-off has passed. Events and messages are
// kubelet's, word for word.
import type { Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import { goErrorMessage } from '../cri/go-error.js';
import type { ImageClient } from '../cri/image-client.js';
import type { AuthConfig, PodSandboxConfig } from '../cri/types.js';
import { BackOff, goDuration } from './back-off.js';
import type { PodEvents } from './pod-events.js';
import { Keyring, type RegistryCredential, secretCredentials } from './registry-credentials.js';

/** Why a container waits for its image: the reason shown in its status and the message. */
export class ImageError extends Error {
  constructor(
    readonly reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName',
    message: string,
  ) {
    super(message);
  }
}

export interface ImagePullerOptions {
  readonly images: Pick<ImageClient, 'pullImage' | 'imageStatus'>;
  readonly events: PodEvents;
  /** A Secret the node holds (those its pods use), or undefined. */
  readonly secret: (namespace: string, name: string) => Secret | undefined;
  readonly log: Logger;
  readonly now?: () => number;
}

/** A failed pull is forgotten this long after it (kubelet's back-off GC: twice the 5 min maximum). */
const FORGET_FAILURE_MS = 600_000;

export class ImagePuller {
  /** kubelet's image back-off has the crash-loop back-off's constants: 10 s doubling to 5 min. */
  readonly #backOff: BackOff;
  /** Back-off key → when the last pull failed and "ErrImagePull: <message>", for the waiting message. */
  readonly #failures = new Map<string, { at: number; message: string }>();
  readonly #now: () => number;

  constructor(private readonly opts: ImagePullerOptions) {
    this.#now = opts.now ?? Date.now;
    this.#backOff = new BackOff(this.#now);
  }

  /** Returns the image's reference on the node; throws ImageError (after recording kubelet's events). */
  async ensureImage(pod: Pod, container: Container, sandbox: PodSandboxConfig): Promise<string> {
    try {
      return await this.#ensure(pod, container, sandbox);
    } catch (err) {
      if (err instanceof ImageError) this.#event(pod, container, 'Warning', 'Failed', `Error: ${err.reason}`);
      throw err;
    }
  }

  async #ensure(pod: Pod, container: Container, sandbox: PodSandboxConfig): Promise<string> {
    const image = container.image ?? '';
    if (image === '') {
      const message = `Failed to apply default image tag "": couldn't parse image name "": invalid reference format`;
      this.#event(pod, container, 'Warning', 'InspectFailed', message);
      throw new ImageError('InvalidImageName', message);
    }
    const policy = container.imagePullPolicy ?? defaultPolicy(image);
    if (policy !== 'Always') {
      const present = await this.opts.images.imageStatus(image);
      if (present !== undefined) {
        this.#event(pod, container, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return present.id;
      }
      if (policy === 'Never') {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        this.#event(pod, container, 'Warning', 'ErrImageNeverPull', message);
        throw new ImageError('ErrImageNeverPull', message);
      }
    }
    // Per pod and image; the trailing space (never in an image name) keeps one key from being another's prefix.
    const key = `${pod.metadata?.uid} ${image} `;
    const failure = this.#failures.get(key);
    if (failure !== undefined && this.#backOff.remainingMs(key, failure.at) > 0) {
      const message = `Back-off pulling image "${image}"`;
      this.#event(pod, container, 'Normal', 'BackOff', message);
      throw new ImageError('ImagePullBackOff', `${message}: ${failure.message}`);
    }
    const credentials = this.#keyring(pod).lookup(image);
    this.#event(pod, container, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = this.#now();
    let ref: string;
    try {
      ref = await this.#pull(image, credentials, sandbox);
    } catch (err) {
      const message = goErrorMessage(err);
      this.#event(pod, container, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
      const at = this.#now();
      this.#backOff.next(key, at);
      this.#failures.set(key, { at, message: `ErrImagePull: ${message}` });
      throw new ImageError('ErrImagePull', message);
    }
    const took = goDuration(Math.trunc(this.#now() - started));
    const size = await this.opts.images.imageStatus(ref).then((i) => i?.size ?? 0n, () => 0n);
    // Pulls are not queued behind each other here: the time waiting is the time pulling.
    this.#event(pod, container, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`);
    // As kubelet does after each pull: failures long past go (pods deleted while in back-off included).
    const now = this.#now();
    for (const [old, { at }] of this.#failures) {
      if (now - at <= FORGET_FAILURE_MS) continue;
      this.#failures.delete(old);
      this.#backOff.forget(old);
    }
    return ref;
  }

  /** Each matching credential in turn, the first that works wins; with none, an anonymous pull. */
  async #pull(image: string, credentials: readonly AuthConfig[], sandbox: PodSandboxConfig): Promise<string> {
    if (credentials.length === 0) return this.opts.images.pullImage(image, { sandboxConfig: sandbox });
    const errors: unknown[] = [];
    for (const auth of credentials) {
      try {
        return await this.opts.images.pullImage(image, { auth, sandboxConfig: sandbox });
      } catch (err) {
        errors.push(err);
      }
    }
    // kubelet's aggregate error: one message as it is, several in brackets.
    throw errors.length === 1 ? errors[0] : new Error(`[${errors.map(goErrorMessage).join(', ')}]`);
  }

  /** The pod's pull secrets the node holds; those it lacks or cannot read are said in an event. */
  #keyring(pod: Pod): Keyring {
    const namespace = pod.metadata?.namespace ?? '';
    const entries: RegistryCredential[] = [];
    const missing: string[] = [];
    for (const ref of pod.spec?.imagePullSecrets ?? []) {
      if (!ref.name) continue;
      const secret = this.opts.secret(namespace, ref.name);
      if (secret === undefined) {
        missing.push(ref.name);
        continue;
      }
      try {
        entries.push(...secretCredentials(secret));
      } catch (err) {
        // The message names the Secret and the problem, never its content.
        this.opts.log.warn('image pull secret not usable', { pod: `${namespace}/${pod.metadata?.name}`, error: (err as Error).message });
        missing.push(ref.name);
      }
    }
    if (missing.length > 0) {
      this.opts.events.record(pod, 'Warning', 'FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`);
    }
    return new Keyring(entries);
  }

  #event(pod: Pod, container: Container, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const init = (pod.spec?.initContainers ?? []).some((c) => c.name === container.name);
    this.opts.events.record(pod, type, reason, message, `spec.${init ? 'initContainers' : 'containers'}{${container.name}}`);
  }
}

function defaultPolicy(image: string): string {
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  if (image.includes('@')) return 'IfNotPresent';
  return !lastPart.includes(':') || lastPart.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}
