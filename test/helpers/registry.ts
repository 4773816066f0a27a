// A real image registry for one test: Debian's docker-registry (distribution
// 2.8) on 127.0.0.1 and a free port, plain http, storage in a temporary folder,
// with a login when asked.
// Stopped by PID when the test ends, pass or fail.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './bramble.js';
import { tempDir } from './temp.js';
import type { Teardown } from './teardown.js';
import { stopChild } from './stop-child.js';

const READY_TIMEOUT_MS = 10_000;

export interface RegistryOptions {
  /** Pulls and pushes need this login (htpasswd, bcrypt; basic auth over the plain http). */
  readonly login?: { readonly username: string; readonly password: string };
}

/** Starts a registry and returns its `127.0.0.1:PORT`. */
export async function startRegistry(t: Teardown, opts: RegistryOptions = {}): Promise<string> {
  let child: ChildProcess | undefined;
  // Registered before tempDir's removal: after-hooks run in registration order.
  t.after(() => stopChild(child));
  const dir = await tempDir(t, 'bramble-registry-');
  const host = `127.0.0.1:${await freePort()}`;
  const configFile = join(dir, 'config.yml');
  let auth = '';
  if (opts.login !== undefined) {
    const htpasswdFile = join(dir, 'htpasswd');
    await writeFile(htpasswdFile, await htpasswd(opts.login.username, opts.login.password));
    auth = `auth:\n  htpasswd:\n    realm: bramble-test\n    path: ${JSON.stringify(htpasswdFile)}\n`;
  }
  await writeFile(
    configFile,
    `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${JSON.stringify(join(dir, 'data'))}
  delete:
    enabled: true
http:
  addr: ${host}
${auth}`,
  );

  child = spawn('docker-registry', ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  let failure: Error | undefined;
  child.on('error', (err: NodeJS.ErrnoException) => {
    failure =
      err.code === 'ENOENT'
        ? new Error("docker-registry is not installed: run 'apt-get install docker-registry' (test/run.sh does so as root)")
        : err;
  });
  child.on('exit', (code, signal) => (failure ??= new Error(`docker-registry exited (${signal ?? `code ${code}`})\n${log}`)));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (failure) throw failure;
    try {
      // The API's base: 200 with `{}` once it serves (401 when it wants a login).
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok || (opts.login !== undefined && res.status === 401)) return host;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${host} within ${READY_TIMEOUT_MS} ms\n${log}`);
    await sleep(20);
  }
}

/** One htpasswd line with a bcrypt hash (the only kind distribution takes), from apache2-utils' htpasswd. */
async function htpasswd(username: string, password: string): Promise<string> {
  try {
    return (await promisify(execFile)('htpasswd', ['-B', '-b', '-n', username, password])).stdout.trim() + '\n';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error("htpasswd is not installed: run 'apt-get install apache2-utils' (test/run.sh does so as root)");
    throw err;
  }
}

