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
import { status as grpcStatus } from '@grpc/grpc-js';
import type { Logger } from '../../common/log.js';
import { CriError } from '../cri/connection.js';
import type { ImageClient } from '../cri/image-client.js';
import type { AuthConfig, PodSandboxConfig } from '../cri/types.js';
import { Backoff } from './backoff.js';
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

/** kubelet's image back-off: --image-pull-backoff is not a flag; these are its constants. */
const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

export class ImagePuller {
  readonly #backoff: Backoff;
  /** Back-off key → "ErrImagePull: <message>" of the pull that put it there, for the waiting message. */
  readonly #lastError = new Map<string, string>();
  readonly #now: () => number;

  constructor(private readonly opts: ImagePullerOptions) {
    this.#now = opts.now ?? Date.now;
    this.#backoff = new Backoff({ initialMs: BACKOFF_INITIAL_MS, maxMs: BACKOFF_MAX_MS, now: this.#now });
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
      this.#event(pod, container, 'Warning', 'InspectFailed', `Failed to apply default image tag "": couldn't parse image name "": invalid reference format`);
      throw new ImageError('InvalidImageName', `Failed to apply default image tag "": couldn't parse image name "": invalid reference format`);
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
    const key = `${pod.metadata?.uid}_${image}`;
    if (this.#backoff.inBackoff(key)) {
      const message = `Back-off pulling image "${image}"`;
      this.#event(pod, container, 'Normal', 'BackOff', message);
      const last = this.#lastError.get(key);
      throw new ImageError('ImagePullBackOff', last === undefined ? message : `${message}: ${last}`);
    }
    this.#lastError.delete(key);
    const credentials = this.#keyring(pod).lookup(image);
    this.#event(pod, container, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = this.#now();
    let ref: string;
    try {
      ref = await this.#pull(image, credentials, sandbox);
    } catch (err) {
      const message = pullErrorMessage(err);
      this.#event(pod, container, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
      this.#backoff.failed(key);
      this.#lastError.set(key, `ErrImagePull: ${message}`);
      throw new ImageError('ErrImagePull', message);
    }
    const took = goDuration(this.#now() - started);
    const size = await this.opts.images.imageStatus(ref).then((i) => i?.size ?? 0n, () => 0n);
    // Pulls are not queued behind each other here: the time waiting is the time pulling.
    this.#event(pod, container, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`);
    this.#backoff.reset(key);
    // As kubelet does after each pull: keys quiet for long go (pods deleted while in back-off included).
    this.#backoff.gc();
    for (const old of this.#lastError.keys()) if (!this.#backoff.has(old)) this.#lastError.delete(old);
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
    throw errors.length === 1 ? errors[0] : new Error(`[${errors.map(pullErrorMessage).join(', ')}]`);
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

/** What kubelet shows of a failed pull: the gRPC status as Go prints it, with the runtime's words. */
function pullErrorMessage(err: unknown): string {
  if (err instanceof CriError) return `rpc error: code = ${goCodeName(err.code)} desc = ${err.details}`;
  return (err as Error).message;
}

/** grpc-go's codes.Code names: CANCELLED → Canceled, NOT_FOUND → NotFound. */
function goCodeName(code: number): string {
  if (code === grpcStatus.CANCELLED) return 'Canceled';
  const name = grpcStatus[code];
  if (name === undefined) return `Code(${code})`;
  if (name === 'OK') return 'OK';
  return name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());
}

/** Go's time.Duration String() of a duration truncated to milliseconds: 796ms, 1.594s, 1m5.2s. */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.trunc(ms));
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const minutes = Math.floor(whole / 60_000);
  const hours = Math.floor(minutes / 60);
  const seconds = ((whole % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes % 60}m` : ''}${seconds}s`;
}
