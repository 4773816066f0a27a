// A container whose config cannot be made (a ConfigMap or Secret its env
// names is missing, its user breaks runAsNonRoot) is not created: it waits
// with kubelet's reason and message, and the next sync tries again.

export class ContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
}
