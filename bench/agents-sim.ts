// The simulated agents of `bench agents`, in a process of their own (started
// by the bench as `node dist/bench/agents-sim.js`, told what to do over IPC).
// Each agent is the agent's own code with a fixed status: ensureJoined (CA
// fetch and pin, a fresh key and CSR, the Join RPC with the server's token,
// credentials saved in its own data dir), then a ServerLink (its own gRPC
// connection with mutual TLS, Hello, a status report every interval). Only
// what a real agent reads from its machine and container runtime is made up.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { NodeStatus } from '../common/agent-protocol.js';
import { createLogger, type Logger } from '../common/log.js';
import { KUBERNETES_VERSION } from '../common/version.js';
import { ensureJoined } from '../agent/join/join-cluster.js';
import type { NodeCredentials } from '../agent/join/credentials.js';
import { DesiredState } from '../agent/desired/desired-state.js';
import { ServerLink } from '../agent/link/server-link.js';
import { resources } from '../agent/status/resources.js';
import { CREATED_MS_ANNOTATION, type FromSimulator, simNodeName, type SimulatorStats, type ToSimulator } from './agents-messages.js';

/** Closing a thousand streams is quick; past this the process exits anyway. */
const CLOSE_TIMEOUT_MS = 5000;

const stats = { sent: 0, welcomed: 0, lost: 0, podsHeld: 0, deliveryMs: [] as number[] };
const links: ServerLink[] = [];
let closing = false;

function send(message: FromSimulator): void {
  process.send?.(message);
}

/**
 * The agents' logger: info lines are counted (welcomes) and dropped, so a
 * thousand agents do not flood the pipe; warnings and errors go to stderr,
 * whose end the bench shows if the run fails.
 */
function simLogger(): Logger {
  return createLogger({
    level: 'info',
    write: (line) => {
      if (line.includes('msg="connected to the server"')) stats.welcomed++;
      else if (line.includes('msg="lost the server; reconnecting"') && !closing) stats.lost++;
      if (!line.includes(' level=info ') && !line.includes(' level=debug ')) process.stderr.write(line);
    },
  });
}

/**
 * What a Raspberry Pi 4 (4 GiB, 32 GB card) with a healthy containerd
 * reports, made up once per agent: its own name, machine and boot IDs, and
 * InternalIP 10.77.X.Y. Unchanging, as a quiet node's status is.
 */
function fixedStatus(index: number): NodeStatus {
  const name = simNodeName(index);
  const id = (what: string) => createHash('sha256').update(`${what}:${name}`).digest('hex').slice(0, 32);
  const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  const ok = (type: string, reason: string, message: string) => ({ type, status: 'False' as const, reason, message });
  return {
    ...resources({ cpus: 4, memoryBytes: 3_978_006_528, fsCapacityBytes: 31_104_958_464 }),
    nodeInfo: {
      machineId: id('machine'),
      systemUuid: uuid(id('system')),
      bootId: uuid(id('boot')),
      kernelVersion: '6.6.51+rpt-rpi-v8',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      operatingSystem: 'linux',
      architecture: 'arm64',
      containerRuntimeVersion: 'containerd://1.7.24',
      kubeletVersion: KUBERNETES_VERSION.gitVersion,
      kubeProxyVersion: '',
    },
    addresses: [
      { type: 'InternalIP', address: `10.77.${Math.floor(index / 250)}.${(index % 250) + 1}` },
      { type: 'Hostname', address: name },
    ],
    conditions: [
      ok('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      ok('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      ok('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ],
    readings: {},
  };
}

function helloLabels(name: string): Record<string, string> {
  return {
    'kubernetes.io/arch': 'arm64',
    'kubernetes.io/os': 'linux',
    'kubernetes.io/hostname': name,
    'beta.kubernetes.io/arch': 'arm64',
    'beta.kubernetes.io/os': 'linux',
  };
}

/**
 * Joins `agents` agents, `concurrency` at a time. Each one's link starts at
 * its slot: the k-th to finish joining reports at k × interval / agents after
 * the first finished (or at once, when joining is slower than that), so the
 * reports are spread evenly over the interval rather than bunched as the joins finished.
 */
async function run(start: Extract<ToSimulator, { type: 'start' }>): Promise<void> {
  const serverUrl = new URL(start.serverUrl);
  const log = simLogger();
  const joinMs: number[] = [];
  let next = 1;
  let firstDone: number | undefined;
  const slotMs = start.statusIntervalMs / start.agents;
  const startLink = (index: number, credentials: NodeCredentials) => {
    const name = simNodeName(index);
    const status = fixedStatus(index);
    const link = new ServerLink({
      serverUrl,
      dir: join(start.dir, name),
      nodeName: name,
      credentials,
      hello: { labels: helloLabels(name), taints: [] },
      collectStatus: () => {
        stats.sent++;
        return Promise.resolve(status);
      },
      statusIntervalMs: start.statusIntervalMs,
      desired: heldPods(log),
      log: log.with({ node: name }),
    });
    links.push(link);
    if (!closing) link.start();
  };
  await Promise.all(
    Array.from({ length: Math.min(start.concurrency, start.agents) }, async () => {
      for (let index = next++; index <= start.agents; index = next++) {
        const name = simNodeName(index);
        const began = performance.now();
        const credentials = await ensureJoined({ serverUrl, token: start.token, nodeName: name, dir: join(start.dir, name), log: log.with({ node: name }) });
        const done = performance.now();
        joinMs.push(done - began);
        firstDone ??= done;
        const wait = firstDone + (joinMs.length - 1) * slotMs - done;
        if (wait > 0) setTimeout(() => startLink(index, credentials), wait);
        else startLink(index, credentials);
      }
    }),
  );
  send({ type: 'joined', joinMs });
}

/** One agent's desired state, counting the pods that arrive and how long each took from its create. */
function heldPods(log: Logger): DesiredState {
  const seen = new Set<string>();
  const desired: DesiredState = new DesiredState({
    log,
    onChange: (refs) => {
      const now = Date.now();
      for (const ref of refs) {
        if (!ref.startsWith('pods/') || seen.has(ref)) continue;
        const [, namespace, name] = ref.split('/') as [string, string, string];
        const pod = desired.get('pods', namespace, name)?.object as { metadata: { annotations?: Record<string, string> } } | undefined;
        const created = Number(pod?.metadata.annotations?.[CREATED_MS_ANNOTATION]);
        if (!Number.isFinite(created)) continue;
        seen.add(ref);
        stats.podsHeld++;
        stats.deliveryMs.push(now - created);
      }
    },
  });
  return desired;
}

async function shutdown(code: number): Promise<never> {
  closing = true;
  const timeout = setTimeout(() => process.exit(code), CLOSE_TIMEOUT_MS);
  timeout.unref();
  await Promise.allSettled(links.map((link) => link.close()));
  process.exit(code);
}

process.on('message', (message: ToSimulator) => {
  if (message.type === 'start') {
    run(message).catch((err: unknown) => {
      send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
      void shutdown(1);
    });
  } else if (message.type === 'stats') {
    const reply: SimulatorStats = { ...stats };
    send({ type: 'stats', ...reply });
  }
});
// The bench stops it with SIGTERM; a Ctrl-C in the terminal reaches it as SIGINT; a bench that died leaves no parent.
process.once('SIGTERM', () => void shutdown(0));
process.once('SIGINT', () => void shutdown(0));
process.once('disconnect', () => void shutdown(0));
