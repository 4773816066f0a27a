// The API registry in-process, for tests that read and write objects without
// the HTTP server: a test store, the built-in catalogue, the registry over
// them, bootstrapped as the server does.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createLogger, type Logger } from '../../common/log.js';
import { bootstrapCluster } from '../../server/api/bootstrap.js';
import { BUILTIN_RESOURCES, Catalogue } from '../../server/api/catalogue.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { type KindRules, Registry } from '../../server/api/registry/registry.js';
import type { ResourceType } from '../../server/api/resources.js';
import { ApiError } from '../../server/api/status.js';
import type { LevelStore } from '../../server/store/level-store.js';
import { testStore } from './store.js';

export interface ApiRegistryOptions {
  /** The registry's logger, and the test store's; errors only by default. */
  readonly logger?: Logger;
  /** The kinds' rules, given the store and catalogue for rules that read them; `rulesFor` by default. */
  readonly rules?: (store: LevelStore, catalogue: Catalogue) => (type: ResourceType) => KindRules;
  /** A store the caller opened and closes itself (to close it after what watches it, or to reopen it); a test store by default. */
  readonly store?: LevelStore;
  /** false: the store stays as it is, without the namespaces and objects a server bootstraps. */
  readonly bootstrap?: boolean;
}

export interface ApiRegistry {
  readonly store: LevelStore;
  readonly catalogue: Catalogue;
  readonly registry: Registry;
}

export async function apiRegistry(t: TestContext, opts: ApiRegistryOptions = {}): Promise<ApiRegistry> {
  const logger = opts.logger ?? createLogger({ level: 'error' });
  const store = opts.store ?? (await testStore(t, { logger }));
  const catalogue = new Catalogue(BUILTIN_RESOURCES);
  const registry = new Registry(store, opts.rules?.(store, catalogue) ?? rulesFor, logger);
  if (opts.bootstrap !== false) await bootstrapCluster(registry, catalogue, logger);
  return { store, catalogue, registry };
}

/** The message of the 403 Forbidden the registry call ends in. */
export async function forbidden(call: Promise<unknown>): Promise<string> {
  const err = await call.then(
    () => assert.fail('expected a 403'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError, String(err));
  assert.equal(err.code, 403, err.message);
  assert.equal(err.reason, 'Forbidden');
  return err.message;
}
