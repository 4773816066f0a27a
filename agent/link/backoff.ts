// How long an agent waits before it dials again: doubling from 1 s to 30 s,
// each wait drawn at random from its upper half, so that a hundred Pis that
// lost the same server do not all come back in the same instant.
const FIRST_MS = 1000;
const LAST_MS = 30_000;

/** The wait before attempt `attempt` (0 = the first retry). */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(LAST_MS, FIRST_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
