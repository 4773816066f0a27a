// A container's image made present on the node as its imagePullPolicy says
// (kubelet's images/image_manager.go): Always pulls every time a container
// is created, IfNotPresent only when missing, Never never. The default is
// Always for :latest or no tag, IfNotPresent otherwise (the API sets it).
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ImageClient } from '../cri/image-client.js';
import type { PodSandboxConfig } from '../cri/types.js';

/** Why a container waits for its image: the reason shown in its status and the runtime's message. */
export class ImageError extends Error {
  constructor(
    readonly reason: 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName',
    message: string,
  ) {
    super(message);
  }
}

/** Returns the image's reference on the node; throws ImageError. */
export async function ensureImage(images: ImageClient, container: Container, sandbox: PodSandboxConfig): Promise<string> {
  const image = container.image ?? '';
  if (image === '') throw new ImageError('InvalidImageName', `container ${container.name} names no image`);
  const policy = container.imagePullPolicy ?? defaultPolicy(image);
  if (policy !== 'Always') {
    const present = await images.imageStatus(image);
    if (present !== undefined) return present.id;
    if (policy === 'Never') throw new ImageError('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
  }
  try {
    return await images.pullImage(image, { sandboxConfig: sandbox });
  } catch (err) {
    throw new ImageError('ErrImagePull', (err as Error).message);
  }
}

function defaultPolicy(image: string): string {
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  if (image.includes('@')) return 'IfNotPresent';
  return !lastPart.includes(':') || lastPart.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}
