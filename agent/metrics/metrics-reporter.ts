// Sends the node's usage to the server every metric resolution (15 s by
// default, metrics-server's --metric-resolution), from the first sample on:
// rates need two, so usage shows one resolution after the agent starts.
import type { MetricsReport } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import type { UsageSampler } from './usage-sampler.js';

export const DEFAULT_METRIC_RESOLUTION_MS = 15_000;

export interface MetricsReporterOptions {
  readonly sampler: Pick<UsageSampler, 'sample'>;
  /** Sends a report; false when there is no stream now (that report is dropped: the next one replaces it). */
  readonly send: (report: MetricsReport) => boolean;
  readonly resolutionMs: number;
  readonly log: Logger;
}

export class MetricsReporter {
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> = Promise.resolve();
  #busy = false;

  constructor(private readonly opts: MetricsReporterOptions) {}

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.opts.resolutionMs);
    this.#tick();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sampling;
  }

  #tick(): void {
    // One sample at a time: a tick that finds one still running is skipped.
    if (this.#busy) return;
    this.#busy = true;
    this.#sampling = (async () => {
      try {
        const report = await this.opts.sampler.sample();
        if (report.node !== undefined || report.pods.length > 0) this.opts.send(report);
      } catch (err) {
        this.opts.log.warn('could not sample resource usage', { error: err });
      } finally {
        this.#busy = false;
      }
    })();
  }
}
