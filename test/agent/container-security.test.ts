// securityContext as the runtime takes it: container over pod, the image's
// user, runAsNonRoot's refusals, the sandbox's, host namespaces, host ports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { ContainerConfigError } from '../../agent/pods/container-config-error.js';
import { portMappings } from '../../agent/pods/runtime-config.js';
import { containerSecurityContext, effectiveSecurityContext, namespaceOptions, sandboxSecurityContext } from '../../agent/pods/security-context.js';

const NS = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } as const;
const pod = (spec: Partial<Pod['spec']>, container: Partial<Container> = {}): Pod => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
  spec: { containers: [{ name: 'app', image: 'busybox', ...container }], ...spec },
});
const app = (p: Pod) => p.spec!.containers[0]!;
const ROOT_IMAGE = { username: '' };

test('the container’s fields win over the pod’s', () => {
  const p = pod(
    { securityContext: { runAsUser: 1000, runAsGroup: 2000, runAsNonRoot: true, fsGroup: 3000 } },
    { securityContext: { runAsUser: 1001, readOnlyRootFilesystem: true } },
  );
  assert.deepEqual(effectiveSecurityContext(p, app(p)), { runAsUser: 1001, runAsGroup: 2000, runAsNonRoot: true, readOnlyRootFilesystem: true });
});

test('a container’s security context for the runtime', () => {
  const p = pod(
    { securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000, supplementalGroups: [4000, 4001] } },
    { securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false } },
  );
  const sc = containerSecurityContext(p, app(p), ROOT_IMAGE, NS);
  assert.deepEqual({ ...sc, maskedPaths: sc.maskedPaths?.length, readonlyPaths: sc.readonlyPaths?.length }, {
    capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] },
    privileged: false,
    namespaceOptions: NS,
    runAsUser: 1000,
    runAsGroup: 2000,
    readonlyRootfs: true,
    supplementalGroups: [3000, 4000, 4001],
    noNewPrivs: true,
    maskedPaths: 11,
    readonlyPaths: 5,
    seccomp: { profileType: 'Unconfined' },
  });
  assert.ok(sc.maskedPaths!.includes('/proc/kcore'));
  // Unmasked /proc, a privileged container, the runtime's seccomp profile.
  const unmasked = pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }, { securityContext: { procMount: 'Unmasked', privileged: true } });
  const u = containerSecurityContext(unmasked, app(unmasked), ROOT_IMAGE, NS);
  assert.deepEqual([u.maskedPaths, u.readonlyPaths, u.privileged, u.seccomp, u.noNewPrivs], [[], [], true, { profileType: 'RuntimeDefault' }, false]);
});

test('without a runAsUser the container runs as the image’s user: its uid, its name, or root', () => {
  const p = pod({});
  assert.equal(containerSecurityContext(p, app(p), { uid: 65534n, username: '' }, NS).runAsUser, 65534n);
  const named = containerSecurityContext(p, app(p), { username: 'nginx' }, NS);
  assert.deepEqual([named.runAsUser, named.runAsUsername], [undefined, 'nginx']);
  assert.equal(containerSecurityContext(p, app(p), ROOT_IMAGE, NS).runAsUser, 0n);
});

test('runAsNonRoot refuses a container that would run as root, with kubelet’s messages', () => {
  const refused = (p: Pod, image: { uid?: bigint; username: string }, message: string) =>
    assert.throws(() => containerSecurityContext(p, app(p), image, NS), (err: unknown) => err instanceof ContainerConfigError && err.reason === 'CreateContainerConfigError' && err.message === message);
  const nonRoot = pod({ securityContext: { runAsNonRoot: true } });
  refused(nonRoot, ROOT_IMAGE, 'container has runAsNonRoot and image will run as root (pod: "web_default(u-1)", container: app)');
  refused(nonRoot, { uid: 0n, username: '' }, 'container has runAsNonRoot and image will run as root (pod: "web_default(u-1)", container: app)');
  refused(nonRoot, { username: 'app' }, 'container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root (pod: "web_default(u-1)", container: app)');
  const rootUser = pod({ securityContext: { runAsNonRoot: true } }, { securityContext: { runAsUser: 0 } });
  refused(rootUser, { uid: 1000n, username: '' }, 'container\'s runAsUser breaks non-root policy (pod: "web_default(u-1)", container: app)');
  // Allowed: a non-root user from the spec or the image, or the check turned off by the container.
  assert.equal(containerSecurityContext(pod({ securityContext: { runAsNonRoot: true, runAsUser: 1000 } }), app(nonRoot), ROOT_IMAGE, NS).runAsUser, 1000);
  assert.equal(containerSecurityContext(nonRoot, app(nonRoot), { uid: 1000n, username: '' }, NS).runAsUser, 1000n);
  const off = pod({ securityContext: { runAsNonRoot: true } }, { securityContext: { runAsNonRoot: false } });
  assert.equal(containerSecurityContext(off, app(off), ROOT_IMAGE, NS).runAsUser, 0n);
});

test('the sandbox runs as the pod’s user and groups, privileged when a container is, with host namespaces as asked', () => {
  assert.deepEqual(sandboxSecurityContext(pod({ securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000 }, initContainers: [{ name: 'i', image: 'b', securityContext: { privileged: true } }] })), {
    namespaceOptions: NS,
    runAsUser: 1000,
    runAsGroup: 2000,
    supplementalGroups: [3000],
    privileged: true,
    seccomp: { profileType: 'RuntimeDefault' },
  });
  assert.deepEqual(namespaceOptions(pod({ hostNetwork: true, hostPID: true, hostIPC: true })), { network: 'NODE', pid: 'NODE', ipc: 'NODE' });
  assert.deepEqual(namespaceOptions(pod({ shareProcessNamespace: true })), { network: 'POD', pid: 'POD', ipc: 'POD' });
});

test('port mappings: every container port, host ports and addresses kept, one per name', () => {
  const p: Pod = {
    metadata: { name: 'web', namespace: 'default', uid: 'u' },
    spec: {
      containers: [
        { name: 'a', image: 'b', ports: [{ containerPort: 80, hostPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP', hostPort: 5353, hostIP: '127.0.0.1' }, { name: 'dns', containerPort: 54, protocol: 'UDP' }] },
        { name: 'b', image: 'b', ports: [{ containerPort: 9090 }, { containerPort: 9090 }] },
      ],
      initContainers: [{ name: 'i', image: 'b', ports: [{ containerPort: 1 }] }],
    },
  };
  assert.deepEqual(portMappings(p), [
    { protocol: 'TCP', containerPort: 80, hostPort: 8080 },
    { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
    { protocol: 'TCP', containerPort: 9090, hostPort: 0 },
  ]);
});
