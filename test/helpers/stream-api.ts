// The real API server in-process (store, registry, PKI, TLS front door)
// with a fake node behind PodStreams, for tests of the streaming pod
// subresources with real kubectl binaries and client-node.
//
// The fake node: exec of `echo-exit CODE [STDERR]` echoes stdin to stdout
// until stdin ends, writes STDERR, and exits CODE; `tar -xmf - -C DIR`
// keeps the bytes it received; `tar cf - PATH` (or any `tar c…`) answers
// with the test's tar; `tty-size` writes every terminal size it gets and
// exits when stdin ends; attach echoes; log writes its lines; port-forward
// echoes, or connects to a local port the test maps the pod's port to (a
// refused connection ends the stream with the runtime's error text).
import { connect } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type { TestContext } from 'node:test';
import { createLogger } from '../../common/log.js';
import { createApiServer } from '../../server/api/api-server.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import type { Catalogue } from '../../server/api/catalogue.js';
import { Registry } from '../../server/api/registry/registry.js';
import type { ResourceType } from '../../server/api/resources.js';
import { openFrontDoor } from '../../server/front-door.js';
import { ensureClusterPki, writeKubeconfig } from '../../server/pki/index.js';
import { ERROR, type Frame, type PodStreamRequest, type PodStreams, RESIZE, STDERR, STDIN, STDOUT } from '../../common/pod-streams.js';
import { apiRegistry } from './api-registry.js';
import { testStore } from './store.js';
import { tempDir } from './temp.js';

export interface FakeNode extends PodStreams {
  /** Every request opened, in order. */
  readonly opened: PodStreamRequest[];
  /** Bytes each `tar -x…` exec received on stdin. */
  readonly tarInputs: Buffer[];
  /** Terminal sizes received (JSON), by any exec. */
  readonly resizes: string[];
  /** What a `tar c…` exec writes. */
  tarOutput: Buffer;
  /** What a log stream writes. */
  logLines: string[];
  /** Pod port → the local port a port-forward to it connects to (other ports echo). */
  readonly ports: Map<number, number>;
}

export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
}

export interface StreamApi {
  readonly url: string;
  readonly caPem: string;
  readonly kubeconfig: string;
  /** A kubeconfig of node "pi-1" (system:node:pi-1 in system:nodes). */
  readonly nodeKubeconfig: string;
  /** The client certificates of those kubeconfigs (PEM), for requests of the test's own. */
  readonly certificates: { readonly admin: ClientCertificate; readonly node: ClientCertificate };
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly pods: ResourceType;
  readonly node: FakeNode;
  /** Creates a Running pod on pi-1 with these containers (all running). */
  runningPod(name: string, containers: string[], annotations?: Record<string, string>): Promise<void>;
}

export async function startStreamApi(t: TestContext): Promise<StreamApi> {
  const dir = await tempDir(t, 'bramble-streams-');
  const logger = createLogger({ level: 'error' });
  const { catalogue, registry } = await apiRegistry(t, { store: await testStore(t, { path: join(dir, 'db') }), logger });
  const pki = await ensureClusterPki({ dir: join(dir, 'pki'), sans: [] });
  const node = fakeNode();
  const informers = new SharedInformers(registry, catalogue, logger);
  const api = createApiServer({ registry, catalogue, caPem: pki.caCertPem, serviceAccountKeyPem: pki.serviceAccountKeyPem, podStreams: node, informers, logger });
  const door = await openFrontDoor({
    tls: { certPem: pki.servingCertPem, keyPem: pki.servingKeyPem, caPem: pki.caCertPem },
    bindAddress: '127.0.0.1',
    port: 0,
    api: api.http,
    agents: { injectConnection: (c) => c.destroy() },
    log: logger,
  });
  t.after(async () => {
    await api.close();
    await door.close();
    await informers.close();
  });
  const url = `https://127.0.0.1:${door.port}`;
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfig, { server: url, caCertPem: pki.caCertPem, clientCertPem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem, mode: 0o600 });
  const nodeCert = await pki.issueClientCert({ commonName: 'system:node:pi-1', organizations: ['system:nodes'] }, 1);
  const nodeKubeconfig = join(dir, 'node.yaml');
  await writeKubeconfig(nodeKubeconfig, { server: url, caCertPem: pki.caCertPem, clientCertPem: nodeCert.certPem, clientKeyPem: nodeCert.keyPem, mode: 0o600 });
  const pods = catalogue.get('', 'v1', 'pods')!;
  return {
    url,
    caPem: pki.caCertPem,
    kubeconfig,
    nodeKubeconfig,
    certificates: { admin: { cert: pki.adminCertPem, key: pki.adminKeyPem }, node: { cert: nodeCert.certPem, key: nodeCert.keyPem } },
    registry,
    catalogue,
    pods,
    node,
    runningPod: async (name, containers, annotations) => {
      await registry.create(
        pods,
        'default',
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
          spec: { nodeName: 'pi-1', containers: containers.map((c) => ({ name: c, image: 'busybox:1.36' })) },
        },
        { dryRun: false },
      );
      await registry.patch(
        pods,
        'default',
        name,
        (pod) => ({
          ...pod,
          status: {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'True' }],
            containerStatuses: containers.map((c) => ({
              name: c,
              ready: true,
              restartCount: 0,
              image: 'busybox:1.36',
              imageID: '',
              state: { running: { startedAt: new Date().toISOString() } },
            })),
          },
        }),
        { dryRun: false, subresource: 'status' },
      );
    },
  };
}

function fakeNode(): FakeNode {
  const node: FakeNode = {
    opened: [],
    tarInputs: [],
    resizes: [],
    tarOutput: Buffer.alloc(0),
    logLines: [],
    ports: new Map(),
    open: async (request) => {
      node.opened.push(request);
      return serve(node, request);
    },
  };
  return node;
}

const frame = (channel: number, data: Buffer | string): Frame => ({ channel, data: Buffer.from(data) });
const exitStatus = (code: number) =>
  JSON.stringify(
    code === 0
      ? { metadata: {}, status: 'Success' }
      : {
          metadata: {},
          status: 'Failure',
          message: `command terminated with non-zero exit code: error executing command, exit code ${code}`,
          reason: 'NonZeroExitCode',
          details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
        },
  );

/** One stream of the fake node: reacts to what the client writes, as the request says. */
function serve(node: FakeNode, request: PodStreamRequest): Duplex {
  const stream = new Duplex({ objectMode: true, read: () => undefined, write: (f: Frame, _e, cb) => (onFrame(f), cb()), final: (cb) => cb() });
  const finish = (code: number) => {
    stream.push(frame(ERROR, exitStatus(code)));
    stream.push(null);
  };
  let onFrame: (f: Frame) => void = () => undefined;
  if (request.kind === 'log') {
    setImmediate(() => {
      for (const line of node.logLines) stream.push(frame(STDOUT, `${line}\n`));
      stream.push(null);
    });
  } else if (request.kind === 'portforward' && node.ports.has(request.port)) {
    return localConnection(request.port, node.ports.get(request.port)!);
  } else if (request.kind === 'portforward') {
    onFrame = (f) => {
      if (f.channel !== STDIN) return;
      if (f.end) stream.push(null);
      else stream.push(frame(STDOUT, f.data));
    };
  } else {
    const command = request.kind === 'exec' ? request.command : ['attach'];
    const tarInput: Buffer[] = [];
    if (command[0] === 'tar' && /c/.test(command[1] ?? '')) {
      setImmediate(() => {
        stream.push(frame(STDOUT, node.tarOutput));
        finish(0);
      });
    }
    if (!request.stdin && command[0] !== 'tar') {
      // Nothing will come on stdin: the command ends at once (`test -d`, which kubectl cp asks first, is false).
      setImmediate(() => {
        if (command[0] === 'echo-exit' && command[2] !== undefined) stream.push(frame(STDERR, `${command[2]}\n`));
        finish(command[0] === 'test' ? 1 : Number(command[0] === 'echo-exit' ? (command[1] ?? 0) : 0));
      });
    }
    onFrame = (f) => {
      if (f.channel === RESIZE) {
        node.resizes.push(f.data.toString());
        if (command[0] === 'tty-size') stream.push(frame(STDOUT, `size ${f.data.toString()}\r\n`));
        return;
      }
      if (f.channel !== STDIN) return;
      if (command[0] === 'tar') {
        if (!f.end) tarInput.push(f.data);
        else {
          node.tarInputs.push(Buffer.concat(tarInput));
          finish(0);
        }
        return;
      }
      if (!f.end) return void stream.push(frame(STDOUT, f.data));
      if (command[0] === 'echo-exit') {
        if (command[2] !== undefined) stream.push(frame(STDERR, `${command[2]}\n`));
        finish(Number(command[1] ?? 0));
      } else finish(0);
    };
  }
  return stream;
}

/** A port-forward to a local port, as the runtime serves one: STDIN in (its end half-closes), STDOUT out; a refusal is text on ERROR, then the end. */
function localConnection(podPort: number, localPort: number): Duplex {
  const socket = connect({ host: '127.0.0.1', port: localPort, allowHalfOpen: true });
  const stream = new Duplex({
    objectMode: true,
    allowHalfOpen: true,
    read: () => void socket.resume(),
    write: (f: Frame, _e, cb) => {
      if (f.channel !== STDIN) return cb();
      if (f.end) return void socket.end(cb);
      socket.write(f.data, () => cb());
    },
    destroy: (err, cb) => {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (data: Buffer) => {
    if (!stream.push(frame(STDOUT, data))) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNREFUSED') stream.push(frame(ERROR, `error forwarding port ${podPort} to pod 1234, uid : failed to connect to localhost:${podPort} inside namespace "1234", IPv4: dial tcp4 127.0.0.1:${podPort}: connect: connection refused IPv6 dial tcp6 [::1]:${podPort}: connect: connection refused `));
    stream.push(null);
  });
  return stream;
}
