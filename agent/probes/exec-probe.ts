// An exec probe: the command runs in the container through CRI ExecSync,
// which the runtime ends after the probe's timeout. Exit 0 is success, any
// other exit a failure; the output (stdout then stderr, as kubelet joins
// them, at most 10 KiB) is what the event shows. A command the runtime
// timed out fails with kubelet's `command "…" timed out`.
import { CriError, CriStatus } from '../cri/connection.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import { MAX_OUTPUT_BYTES, type ProbeOutcome } from './probe-outcome.js';

export async function execProbe(runtime: Pick<RuntimeClient, 'execSync'>, containerId: string, command: readonly string[], timeoutSeconds: number): Promise<ProbeOutcome> {
  let res;
  try {
    res = await runtime.execSync(containerId, [...command], timeoutSeconds);
  } catch (err) {
    if (err instanceof CriError && err.code === CriStatus.DEADLINE_EXCEEDED) {
      return { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
    }
    throw err;
  }
  const output = Buffer.concat([res.stdout, res.stderr]).subarray(0, MAX_OUTPUT_BYTES).toString('utf8');
  return { result: res.exitCode === 0 ? 'success' : 'failure', output };
}
