// The agent's client for the container runtime's ImageService over CRI v1:
// pull, inspect and remove images. containerd serves it on the same socket as
// the RuntimeService (kubelet allows another one: --image-service-endpoint).
import { CriConnection } from './connection.js';
import { DEFAULT_OPERATION_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, type RuntimeClientOptions } from './runtime-client.js';
import type { AuthConfig, Image, ImageFsInfo, ImageSpec, PodSandboxConfig } from './types.js';

export interface ImageClientOptions extends RuntimeClientOptions {
  /**
   * Deadline of PullImage; default 5 min: an image of a few hundred MB over
   * a home uplink. CRI reports no progress, so this is the only bound.
   */
  readonly pullTimeoutMs?: number;
}

export const DEFAULT_PULL_TIMEOUT_MS = 300_000;

export interface PullOptions {
  /** From the pod's imagePullSecrets, for this image's registry. */
  readonly auth?: AuthConfig;
  /** The pod the image is for. */
  readonly sandboxConfig?: PodSandboxConfig;
}

export class ImageClient {
  private readonly timeoutMs: number;
  private readonly operationTimeoutMs: number;
  private readonly pullTimeoutMs: number;

  private constructor(
    private readonly connection: CriConnection,
    opts: ImageClientOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.operationTimeoutMs = opts.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    this.pullTimeoutMs = opts.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  }

  /** Like RuntimeClient.connect, with a connection of its own. */
  static connect(endpoint: string, opts: ImageClientOptions = {}): ImageClient {
    return new ImageClient(new CriConnection(endpoint), opts);
  }

  get endpoint(): string {
    return this.connection.endpoint;
  }

  /** Pulls and unpacks `image`; returns its reference on the node ("sha256:…"). */
  async pullImage(image: string | ImageSpec, opts: PullOptions = {}): Promise<string> {
    const spec = imageSpec(image);
    const res = await this.connection.unary<{ imageRef: string }>(
      'ImageService',
      'PullImage',
      { image: spec, auth: opts.auth, sandboxConfig: opts.sandboxConfig },
      { timeoutMs: this.pullTimeoutMs, subject: spec.image },
    );
    return res.imageRef;
  }

  /** The image, or undefined when it is not on the node. */
  async imageStatus(image: string | ImageSpec): Promise<Image | undefined> {
    const spec = imageSpec(image);
    const res = await this.connection.unary<{ image?: Image }>('ImageService', 'ImageStatus', { image: spec }, { timeoutMs: this.timeoutMs, subject: spec.image });
    return res.image;
  }

  /** Every image, or those matching `filter` (a reference). */
  async listImages(filter?: string | ImageSpec): Promise<Image[]> {
    const request = { filter: filter === undefined ? undefined : { image: imageSpec(filter) } };
    return (await this.connection.unary<{ images: Image[] }>('ImageService', 'ListImages', request, { timeoutMs: this.timeoutMs })).images;
  }

  /** Removes the image with all its tags; fine to repeat. */
  async removeImage(image: string | ImageSpec): Promise<void> {
    const spec = imageSpec(image);
    await this.connection.unary('ImageService', 'RemoveImage', { image: spec }, { timeoutMs: this.operationTimeoutMs, subject: spec.image });
  }

  /** Usage of the filesystem(s) holding images, for image garbage collection. */
  async imageFsInfo(): Promise<ImageFsInfo> {
    const res = await this.connection.unary<ImageFsInfo>('ImageService', 'ImageFsInfo', {}, { timeoutMs: this.timeoutMs });
    return { imageFilesystems: res.imageFilesystems, containerFilesystems: res.containerFilesystems };
  }

  close(): void {
    this.connection.close();
  }
}

function imageSpec(image: string | ImageSpec): ImageSpec {
  return typeof image === 'string' ? { image } : image;
}
