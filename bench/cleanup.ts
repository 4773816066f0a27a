// Undo steps (stop etcd, remove temp folders) run once, newest first, on
// every way out: normal end, error, SIGINT/SIGTERM, watchdog.
type Step = () => Promise<void> | void;

export class Cleanup {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  add(step: Step): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    return (this.running ??= this.runSteps());
  }

  private async runSteps(): Promise<void> {
    for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
      try {
        await step();
      } catch (err) {
        process.stderr.write(`bench: cleanup step failed: ${(err as Error).message}\n`);
      }
    }
  }
}
