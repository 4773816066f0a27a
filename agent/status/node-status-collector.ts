// Builds the NodeStatus the agent reports every few seconds. Machine facts
// are read once; each report reads a handful of small /proc files, statfs()
// of the data dir, the interfaces, and asks the runtime for its Status: no
// processes are spawned, as this runs every 10 s on a Raspberry Pi.
import { statfs } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { NodeCondition, NodeStatus } from '../../common/agent-protocol.js';
import { goArch, goOs, KUBERNETES_VERSION } from '../../common/version.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import { nodeAddresses } from './addresses.js';
import { HostFiles } from './host-files.js';
import { type MachineFacts, readMachineFacts } from './machine.js';
import { type PressureSample, pressureConditions } from './pressure.js';
import { parseMeminfo, taskCount } from './procfs.js';
import { readPiStatus } from './raspberry-pi.js';
import { readyCondition, runtimeProblem } from './ready.js';
import { resources } from './resources.js';

export interface NodeStatusCollectorOptions {
  /** The agent's data dir: ephemeral-storage and DiskPressure are of its filesystem. */
  readonly dataDir: string;
  readonly runtime: RuntimeClient;
  /** The Hostname address; default os.hostname(). */
  readonly hostname?: string;
  /** The InternalIP address, instead of the default route's interface. */
  readonly nodeIp?: string;
  /** Where /proc, /sys and /etc are read from; default "/". Tests point it at a fake tree. */
  readonly root?: string;
}

export class NodeStatusCollector {
  private readonly host: HostFiles;
  private readonly hostname: string;
  private facts: Promise<MachineFacts> | undefined;
  /** `<name>://<version>` of the runtime, kept while it stays up (it may come back upgraded). */
  private runtimeVersion: string | undefined;

  constructor(private readonly opts: NodeStatusCollectorOptions) {
    if (opts.nodeIp !== undefined && isIP(opts.nodeIp) === 0) throw new Error(`node IP ${JSON.stringify(opts.nodeIp)} is not an IP address`);
    this.host = new HostFiles(opts.root ?? '/');
    this.hostname = opts.hostname ?? osHostname();
  }

  async collect(): Promise<NodeStatus> {
    const [facts, sample, addresses, runtime] = await Promise.all([
      this.machineFacts(),
      this.sample(),
      nodeAddresses(this.host, this.hostname, this.opts.nodeIp),
      this.runtimeState(),
    ]);
    const pi = facts.raspberryPi ? await readPiStatus(this.host) : { readings: {}, conditions: [] };
    const conditions: NodeCondition[] = [...pressureConditions(sample), readyCondition(runtime.down), ...pi.conditions];
    return {
      ...resources({ cpus: facts.cpus, memoryBytes: sample.memoryBytes, fsCapacityBytes: sample.fsCapacityBytes }),
      nodeInfo: {
        machineId: facts.machineId,
        systemUuid: facts.systemUuid,
        bootId: facts.bootId,
        kernelVersion: facts.kernelVersion,
        osImage: facts.osImage,
        operatingSystem: goOs(),
        architecture: goArch(),
        containerRuntimeVersion: runtime.version,
        kubeletVersion: KUBERNETES_VERSION.gitVersion,
        kubeProxyVersion: '',
      },
      addresses,
      conditions,
      readings: pi.readings,
    };
  }

  private machineFacts(): Promise<MachineFacts> {
    // A failed read is tried again on the next report rather than kept.
    this.facts ??= readMachineFacts(this.host).catch((err: unknown) => {
      this.facts = undefined;
      throw err;
    });
    return this.facts;
  }

  private async sample(): Promise<PressureSample & { memoryBytes: number }> {
    const [meminfo, loadavg, pidMax, threadsMax, fs] = await Promise.all([
      this.host.read('/proc/meminfo'),
      this.host.read('/proc/loadavg'),
      this.host.read('/proc/sys/kernel/pid_max'),
      this.host.read('/proc/sys/kernel/threads-max'),
      statfs(this.opts.dataDir),
    ]);
    const mem = parseMeminfo(meminfo);
    if (mem.MemTotal === undefined || mem.MemAvailable === undefined) throw new Error(`${this.host.path('/proc/meminfo')} lacks MemTotal or MemAvailable`);
    return {
      memoryBytes: mem.MemTotal * 1024,
      memoryAvailableBytes: mem.MemAvailable * 1024,
      fsCapacityBytes: fs.blocks * fs.bsize,
      fsAvailableBytes: fs.bavail * fs.bsize,
      fsInodes: fs.files,
      fsInodesFree: fs.ffree,
      tasks: taskCount(loadavg),
      // Whichever the kernel hits first, as kubelet's pid.available does.
      taskLimit: Math.min(Number(pidMax), Number(threadsMax)),
    };
  }

  /** Why the runtime is down (undefined when up), and its version ("" until it has answered). */
  private async runtimeState(): Promise<{ down: string | undefined; version: string }> {
    const runtime = this.opts.runtime;
    try {
      const [status, version] = await Promise.all([runtime.status(), this.runtimeVersion ?? runtime.version()]);
      this.runtimeVersion = typeof version === 'string' ? version : `${version.runtimeName}://${version.runtimeVersion}`;
      return { down: runtimeProblem(status), version: this.runtimeVersion };
    } catch (err) {
      this.runtimeVersion = undefined;
      return { down: (err as Error).message, version: '' };
    }
  }
}
