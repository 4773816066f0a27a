// Starts `bench api`'s reference server (reference-server.ts) as a child
// process, so its CPU time can be read from /proc like bramble's.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readyMatch, spawned, watchChild } from './child.js';
import type { Cleanup } from './cleanup.js';

export const REFERENCE_READY = 'reference server listening on port';

/** The answers, as bramble gave them during the mix. */
export interface ReferenceBodies {
  /** A ConfigMap (create, get and update answer one). */
  readonly item: string;
  /** A page of the list. */
  readonly list: string;
}

export interface ReferenceProcess {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const SCRIPT = fileURLToPath(new URL('./reference-server.js', import.meta.url));

/** Serves with bramble's serving certificate from `pkiDir`; `dir` holds the bodies' file. */
export async function startReferenceServer(pkiDir: string, bodies: ReferenceBodies, dir: string, cleanup: Cleanup): Promise<ReferenceProcess> {
  const bodiesFile = join(dir, 'reference-bodies.json');
  await writeFile(bodiesFile, JSON.stringify(bodies));
  const child = spawn(process.execPath, [SCRIPT, pkiDir, bodiesFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  const watched = watchChild(child, STOP_GRACE_MS);
  const stop = async () => {
    await watched.stop();
  };
  cleanup.add(stop);
  await spawned(child);
  const [, port] = await readyMatch(watched, new RegExp(`${REFERENCE_READY} (\\d+)`), 'the reference server', START_TIMEOUT_MS);
  return { pid: child.pid!, port: Number(port), stop };
}
