// /healthz, /livez and /readyz as upstream's healthz package serves them, so
// probes, monitoring and `kubectl get --raw='/readyz?verbose'` read them as on
// any cluster. The three run the same checks: a Bramble server is one
// process, and a store that refuses writes needs a restart (livez) as much as
// it cannot serve (readyz). The roots are public and withhold why a check
// failed; /readyz/NAME gives the reason to users allowed that path.
import type { HttpAnswer } from '../http-answer.js';

export interface HealthCheck {
  readonly name: string;
  /** Why the check fails now, or undefined when it passes. */
  check(): string | undefined;
}

const ROOTS = new Set(['/healthz', '/livez', '/readyz']);
const PING: HealthCheck = { name: 'ping', check: () => undefined };
const TEXT = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' };

/** The answer for /healthz, /livez or /readyz (`root`): every check, as upstream's handleRootHealth. */
export function healthAnswer(root: string, query: URLSearchParams, extra: readonly HealthCheck[]): HttpAnswer {
  const checks = [PING, ...extra];
  const name = root.slice(1);
  const excluded = new Set(query.getAll('exclude'));
  let lines = '';
  let failed = false;
  for (const check of checks) {
    if (excluded.delete(check.name)) {
      lines += `[+]${check.name} excluded: ok\n`;
    } else if (check.check() === undefined) {
      lines += `[+]${check.name} ok\n`;
    } else {
      // The roots are public: the reason stays out, as upstream's.
      lines += `[-]${check.name} failed: reason withheld\n`;
      failed = true;
    }
  }
  if (excluded.size > 0) {
    lines += `warn: some health checks cannot be excluded: no matches for ${[...excluded].map((n) => JSON.stringify(n)).join(',')}\n`;
  }
  // Always verbose on failure.
  if (failed) return { status: 500, headers: TEXT, body: `${lines}${name} check failed\n` };
  if (!query.has('verbose')) return { status: 200, headers: TEXT, body: 'ok' };
  return { status: 200, headers: TEXT, body: `${lines}${name} check passed\n` };
}

/** The answer for one check (/readyz/NAME and the same under the other roots), or undefined for any other path. */
export function healthCheckAnswer(path: string, extra: readonly HealthCheck[]): HttpAnswer | undefined {
  const slash = path.indexOf('/', 1);
  if (slash < 0 || !ROOTS.has(path.slice(0, slash))) return undefined;
  const check = [PING, ...extra].find((c) => c.name === path.slice(slash + 1));
  if (check === undefined) return undefined;
  const reason = check.check();
  return reason === undefined ? { status: 200, headers: TEXT, body: 'ok' } : { status: 500, headers: TEXT, body: `internal server error: ${reason}\n` };
}
