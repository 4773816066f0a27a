// What the helpers that start real parts (registry, containerd, folders) need
// from their caller: a place to register their undo step. A test passes its
// TestContext; a benchmark passes its own cleanup, so both share the helpers.
export interface Teardown {
  /** Runs `step` when the test (or benchmark) ends, pass or fail, in registration order. */
  after(step: () => unknown): void;
}
