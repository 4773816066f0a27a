// What one run of a probe's handler says, as pkg/probe's runners answer:
// a result and the output that goes into the Unhealthy or ProbeWarning
// event. A handler that could not run at all (a port it cannot resolve, a
// runtime that does not answer) throws instead; the prober tries again.
export type ProbeResult = 'success' | 'warning' | 'failure' | 'unknown';

export interface ProbeOutcome {
  readonly result: ProbeResult;
  readonly output: string;
}

/** How much of a handler's output (exec output, HTTP body) is kept: kubelet's 10 KiB. */
export const MAX_OUTPUT_BYTES = 10 * 1024;

/** A handler that could not say: the prober tries again, then reports it as errored with `result`. */
export class ProbeRunError extends Error {
  override readonly name = 'ProbeRunError';

  constructor(
    message: string,
    readonly result: ProbeResult = 'unknown',
  ) {
    super(message);
  }
}
