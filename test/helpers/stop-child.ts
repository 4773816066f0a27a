// Stopping a daemon a test started (registry, containerd): by its PID, never by name.
import type { ChildProcess } from 'node:child_process';

const STOP_TIMEOUT_MS = 5_000;

/** SIGTERM by PID, SIGKILL if it is still there after a while. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
