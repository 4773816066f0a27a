// What `bench agents` and its simulator process (bench/agents-sim.ts) say to
// each other over the IPC channel of the child process.

/** Bench → simulator. */
export type ToSimulator =
  | {
      readonly type: 'start';
      /** https://127.0.0.1:PORT, the server's URL as its kubeconfig names it. */
      readonly serverUrl: string;
      /** The server's join token (DATA/server/token). */
      readonly token: string;
      /** Each agent's data dir goes under this folder. */
      readonly dir: string;
      readonly agents: number;
      /** Joins at once. */
      readonly concurrency: number;
      readonly statusIntervalMs: number;
    }
  | { readonly type: 'stats' };

export interface SimulatorStats {
  /** Status reports handed to the agents' streams since the start. */
  readonly sent: number;
  /** Streams the server welcomed (reconnections included). */
  readonly welcomed: number;
  /** Streams that broke while the simulator was not closing them. */
  readonly lost: number;
  /** Pods the agents hold, summed over agents (each counted once, when it first arrived). */
  readonly podsHeld: number;
  /** For each pod that arrived: ms from its creation (the bench's annotation) until an agent held it. */
  readonly deliveryMs: readonly number[];
}

/** The bench stamps each pod it creates with the time (ms since the epoch) it sent the create. */
export const CREATED_MS_ANNOTATION = 'bench.bramble.io/created-ms';

/** Simulator → bench. */
export type FromSimulator =
  | {
      readonly type: 'joined';
      /** Each agent's ensureJoined (CA fetch and pin, key and CSR, Join RPC, credentials saved), ms, in the order they finished. */
      readonly joinMs: readonly number[];
    }
  | ({ readonly type: 'stats' } & SimulatorStats)
  | { readonly type: 'failed'; readonly error: string };

/** sim-0001 … : zero-padded to four digits, so names sort in join order up to 9,999 agents. */
export function simNodeName(index: number): string {
  return `sim-${String(index).padStart(4, '0')}`;
}

export const SIM_NODE_PREFIX = 'sim-';
