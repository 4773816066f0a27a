// The one interface the store workload drives, implemented for Bramble's
// embedded store (library calls in this process, as `bramble server` makes
// them) and for etcd (our gRPC client over loopback, as a Kubernetes API
// server talks to etcd). Both sides use conditional writes: create only if
// absent, update only at the expected revision.
import type { EtcdClient } from '../server/store/etcd/client.js';
import type { Store } from '../server/store/types.js';

export interface StoreTarget {
  /** "Bramble" or "etcd", for messages. */
  readonly name: string;
  /** The process whose /proc/PID/io counts this store's disk writes. */
  readonly pid: number;
  /** Writes a key that must not exist yet; resolves to the write's revision once it is durable. */
  create(key: string, value: Uint8Array): Promise<number>;
  /** Overwrites a key whose latest revision is `expectedRevision`; resolves to the new revision. */
  update(key: string, value: Uint8Array, expectedRevision: number): Promise<number>;
  /** Reads every key under the prefix in one request; resolves to how many there were. */
  list(prefix: string): Promise<number>;
  /**
   * Watches the prefix from now on, calling `onPut` with the key of each PUT
   * as it arrives (or `onError` once, if the watch fails). Resolves once
   * writes made after it are sure to be seen, to a function that ends the watch.
   */
  watch(prefix: string, onPut: (key: string) => void, onError: (err: Error) => void): Promise<() => void>;
}

export function brambleTarget(store: Store): StoreTarget {
  return {
    name: 'Bramble',
    pid: process.pid,
    create: async (key, value) => (await store.create(key, value)).revision,
    update: async (key, value, expectedRevision) => (await store.update(key, value, { expectedRevision })).revision,
    list: async (prefix) => (await store.list(prefix)).items.length,
    watch: async (prefix, onPut, onError) => {
      const watch = store.watch(prefix, store.revision);
      void (async () => {
        for await (const message of watch) {
          if (message.kind === 'event' && message.event.type === 'PUT') onPut(message.event.kv.key);
        }
      })().catch(onError);
      return () => watch.close();
    },
  };
}

export function etcdTarget(client: EtcdClient, pid: number): StoreTarget {
  return {
    name: 'etcd',
    pid,
    create: async (key, value) => {
      const result = await client.create(key, value);
      if (!result.ok) throw new Error(`etcd refused to create ${key}: ${result.code}`);
      return result.revision;
    },
    update: async (key, value, expectedRevision) => {
      const result = await client.update(key, value, { expectedRevision });
      if (!result.ok) throw new Error(`etcd refused to update ${key} at revision ${expectedRevision}: ${result.code}`);
      return result.revision;
    },
    list: async (prefix) => (await client.range(prefix, { prefix: true })).kvs.length,
    watch: async (prefix, onPut, onError) => {
      // prev_kv as the Kubernetes API server asks for it.
      const watch = client.watch(prefix, { prefix: true, prevKv: true });
      void (async () => {
        for await (const event of watch) if (event.type === 'PUT') onPut(event.kv.key);
      })().catch(onError);
      await watch.ready;
      return () => watch.close();
    },
  };
}
