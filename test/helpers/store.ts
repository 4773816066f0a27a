// Opens a LevelDB store in a temporary folder, closed when the test ends.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type LevelStore, type LevelStoreOptions, openLevelStore } from '../../server/store/level-store.js';
import type { Watch, WatchMessage } from '../../server/store/types.js';
import { tempDir } from './temp.js';

export async function testStore(t: TestContext, opts: Partial<LevelStoreOptions> = {}): Promise<LevelStore> {
  const path = opts.path ?? join(await tempDir(t), 'db');
  const store = await openLevelStore({ ...opts, path });
  t.after(() => store.close());
  return store;
}

export const bytes = (s: string): Uint8Array => Buffer.from(s);
export const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

/** Takes `n` messages from a watch, failing after `timeoutMs`. */
export async function take(watch: Watch, n: number, timeoutMs = 5000): Promise<WatchMessage[]> {
  const got: WatchMessage[] = [];
  if (n === 0) return got;
  const it = watch[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out with ${got.length} of ${n} messages`)), timeoutMs);
  });
  try {
    while (got.length < n) {
      const next = await Promise.race([it.next(), timeout]);
      if (next.done) break;
      got.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return got;
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
