/**
 * Resolves with the first SIGTERM or SIGINT. Listen before start-up: a signal
 * that arrives while starting then stops the process once it is up.
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
}
