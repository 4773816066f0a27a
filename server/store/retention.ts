// Which revision compaction may advance to: history is kept for at least
// `retainMs` and at least `retainRevisions`, whichever keeps more. The clock
// samples (time, revision) pairs as it ticks, so "the revision that was
// current retainMs ago" needs no timestamp on each record.

export interface RetentionPolicy {
  readonly retainMs: number;
  readonly retainRevisions: number;
}

interface Sample {
  readonly at: number;
  readonly revision: number;
}

export class RetentionClock {
  private samples: Sample[] = [];

  constructor(private readonly policy: RetentionPolicy) {}

  /** Notes the revision current at `at`, and returns the newest revision compaction may reach. */
  tick(at: number, revision: number): number {
    this.samples.push({ at, revision });
    const cutoff = at - this.policy.retainMs;
    let old: Sample | undefined;
    while (this.samples.length > 0 && this.samples[0]!.at <= cutoff) old = this.samples.shift();
    // Keep the newest sample past the cutoff: it stays the bound until a newer one passes it.
    if (old !== undefined) this.samples.unshift(old);
    const byTime = old?.revision ?? 0;
    return Math.max(0, Math.min(byTime, revision - this.policy.retainRevisions));
  }
}
