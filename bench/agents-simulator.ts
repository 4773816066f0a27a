// The bench's side of the simulator process (bench/agents-sim.ts): started
// with an IPC channel, told to join its agents, asked for its counters, and
// stopped with SIGTERM like the servers a bench starts.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeExit, spawned, watchChild, type Exit } from './child.js';
import type { Cleanup } from './cleanup.js';
import type { FromSimulator, SimulatorStats, ToSimulator } from './agents-messages.js';

/** This file runs as dist/bench/agents-simulator.js, beside agents-sim.js. */
const SIM_SCRIPT = fileURLToPath(new URL('./agents-sim.js', import.meta.url));
const STOP_GRACE_MS = 10_000;
const STATS_TIMEOUT_MS = 10_000;

export class SimulatorProcess {
  readonly #watched: ReturnType<typeof watchChild>;
  readonly #waiters = new Set<(message: FromSimulator) => void>();

  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    readonly pid: number,
  ) {
    this.#watched = watchChild(child, STOP_GRACE_MS);
    child.on('message', (message: FromSimulator) => {
      for (const wake of [...this.#waiters]) wake(message);
    });
  }

  /** Starts the simulator (idle until `start`); `cleanup` stops it whatever happens next. */
  static async start(cleanup: Cleanup): Promise<SimulatorProcess> {
    const child = spawn(process.execPath, [SIM_SCRIPT], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const sim = new SimulatorProcess(child, child.pid!);
    cleanup.add(() => sim.stop());
    await spawned(child);
    return sim;
  }

  get exited(): Promise<Exit> {
    return this.#watched.exited;
  }

  /** Tells it to join its agents and keep their links; resolves with each join's time once all have joined. */
  async joinAll(start: Omit<Extract<ToSimulator, { type: 'start' }>, 'type'>): Promise<readonly number[]> {
    const reply = this.#next((m) => m.type === 'joined' || m.type === 'failed');
    this.#send({ type: 'start', ...start });
    const message = await reply;
    if (message.type === 'failed') throw new Error(`the simulated agents failed: ${message.error}\n${this.#watched.stderr()}`);
    return (message as Extract<FromSimulator, { type: 'joined' }>).joinMs;
  }

  async stats(): Promise<SimulatorStats> {
    const reply = this.#next((m) => m.type === 'stats', STATS_TIMEOUT_MS);
    this.#send({ type: 'stats' });
    const { type: _type, ...stats } = (await reply) as Extract<FromSimulator, { type: 'stats' }>;
    return stats;
  }

  /** SIGTERM (the agents close their streams), then SIGKILL; rejects if it had to be killed or failed. Safe to call more than once. */
  async stop(): Promise<void> {
    const running = this.#watched.exit() === undefined;
    const exit = await this.#watched.stop();
    if (running && exit.code !== 0) throw new Error(`the simulator did not stop cleanly (${describeExit(exit)}):\n${this.#watched.stderr()}`);
  }

  /** The end of what it wrote to stderr (the agents' warnings). */
  stderr(): string {
    return this.#watched.stderr();
  }

  #send(message: ToSimulator): void {
    if (!this.child.connected) throw new Error(`the simulator is gone (${describeExit(this.#watched.exit() ?? { code: null, signal: null })}):\n${this.#watched.stderr()}`);
    this.child.send(message);
  }

  /** The next message that `matches`; rejects if the simulator exits first (or `timeoutMs` passes). */
  #next(matches: (m: FromSimulator) => boolean, timeoutMs?: number): Promise<FromSimulator> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (message: FromSimulator) => {
        if (!matches(message)) return;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve(message);
      };
      this.#waiters.add(wake);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#waiters.delete(wake);
          reject(new Error(`the simulator did not answer within ${timeoutMs / 1000} s`));
        }, timeoutMs);
      }
      void this.#watched.exited.then((exit) => {
        if (!this.#waiters.has(wake)) return;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        reject(new Error(`the simulator exited (${describeExit(exit)}):\n${this.#watched.stderr()}`));
      });
    });
  }
}
