// The bench's eye on the Nodes, through the Kubernetes API with the admin
// kubeconfig, as `kubectl get nodes -w` sees them: one list, then a watch from
// its resourceVersion (listed and watched again if the server ends it). It
// records when each simulated node was first seen Ready and counts the Node
// events, which are the server's Node writes.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { parse } from 'yaml';
import { SIM_NODE_PREFIX } from './agents-messages.js';
import { sleep } from './proc.js';

const NODES = '/api/v1/nodes';
const RETRY_MS = 500;

interface NodeObject {
  metadata?: { name?: string; resourceVersion?: string };
  status?: { conditions?: { type?: string; status?: string }[] };
}

interface WatchEvent {
  type?: string;
  object?: NodeObject & { code?: number; message?: string };
}

export class NodeWatch {
  /** performance.now() when each simulated node was first seen Ready. */
  readonly readyAt = new Map<string, number>();
  /** Simulated nodes Ready now. */
  readonly #ready = new Set<string>();
  /** Node events (ADDED, MODIFIED, DELETED) of simulated nodes since the last `takeEvents`. */
  #events = 0;
  /** Times a simulated node went from Ready to anything else since the last `takeEvents`. */
  #lostReady = 0;
  #closed = false;
  #response: IncomingMessage | undefined;
  #failure: Error | undefined;
  readonly #changed = new Set<() => void>();

  private constructor(
    private readonly server: URL,
    private readonly agent: Agent,
  ) {}

  static async start(kubeconfigPath: string): Promise<NodeWatch> {
    const config = parse(await readFile(kubeconfigPath, 'utf8')) as Kubeconfig | null;
    const cluster = config?.clusters?.[0]?.cluster;
    const user = config?.users?.[0]?.user;
    const pem = (value: string | undefined, name: string) => {
      if (typeof value !== 'string' || value === '') throw new Error(`${kubeconfigPath} has no ${name}`);
      return Buffer.from(value, 'base64');
    };
    const server = new URL(cluster?.server ?? '');
    if (server.protocol !== 'https:' || server.hostname !== '127.0.0.1') throw new Error(`${kubeconfigPath} names ${server.href}, not an https://127.0.0.1 server`);
    const agent = new Agent({
      keepAlive: true,
      ca: pem(cluster?.['certificate-authority-data'], 'certificate-authority-data'),
      cert: pem(user?.['client-certificate-data'], 'client-certificate-data'),
      key: pem(user?.['client-key-data'], 'client-key-data'),
    });
    const watch = new NodeWatch(server, agent);
    void watch.#loop();
    return watch;
  }

  get readyCount(): number {
    return this.#ready.size;
  }

  /** Resolves at the moment `count` simulated nodes are Ready (performance.now()); rejects on `deadline` or a broken watch. */
  untilReady(count: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#changed.delete(check);
        reject(new Error(`only ${this.#ready.size} of ${count} nodes were Ready after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const check = () => {
        if (this.#failure !== undefined) reject(this.#failure);
        else if (this.#closed) reject(new Error('the Node watch was closed'));
        else if (this.#ready.size < count) return;
        else resolve(Math.max(...this.readyAt.values()));
        clearTimeout(timer);
        this.#changed.delete(check);
      };
      this.#changed.add(check);
      check();
    });
  }

  /** Node events and lost Ready conditions since the last call. */
  takeEvents(): { events: number; lostReady: number } {
    const taken = { events: this.#events, lostReady: this.#lostReady };
    this.#events = 0;
    this.#lostReady = 0;
    return taken;
  }

  close(): void {
    this.#closed = true;
    this.#response?.destroy();
    this.agent.destroy();
    this.#notify();
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      try {
        const list = JSON.parse(await this.#get(NODES)) as { items?: NodeObject[]; metadata?: { resourceVersion?: string } };
        for (const node of list.items ?? []) this.#see(node, false);
        await this.#watch(list.metadata?.resourceVersion ?? '');
        failures = 0;
      } catch (err) {
        if (this.#closed) return;
        // A server that refuses the watch again and again is a broken run, not a slow one.
        if (++failures >= 5) {
          this.#failure = new Error(`watching the Nodes failed: ${(err as Error).message}`);
          this.#notify();
          return;
        }
        await sleep(RETRY_MS);
      }
    }
  }

  #see(node: NodeObject, counted: boolean): void {
    const name = node.metadata?.name ?? '';
    if (!name.startsWith(SIM_NODE_PREFIX)) return;
    if (counted) this.#events++;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready) {
      if (!this.readyAt.has(name)) this.readyAt.set(name, performance.now());
      this.#ready.add(name);
    } else if (this.#ready.delete(name)) {
      this.#lostReady++;
    }
    this.#notify();
  }

  #notify(): void {
    for (const check of [...this.#changed]) check();
  }

  #get(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.server), { agent: this.agent, headers: { accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 200) resolve(body);
          else reject(new Error(`GET ${path} answered ${res.statusCode}: ${body.slice(0, 300)}`));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** One watch, until the server ends it (then the loop lists again) or `close`. */
  #watch(resourceVersion: string): Promise<void> {
    const path = `${NODES}?watch=true&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.server), { agent: this.agent, headers: { accept: 'application/json' } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`GET ${path} answered ${res.statusCode}`));
          return;
        }
        this.#response = res;
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line === '') continue;
            const event = JSON.parse(line) as WatchEvent;
            if (event.type === 'ERROR') {
              res.destroy();
              reject(new Error(`the Node watch ended with an error: ${event.object?.message ?? line}`));
              return;
            }
            if (event.type === 'BOOKMARK' || event.object === undefined) continue;
            if (event.type === 'DELETED') {
              const name = event.object.metadata?.name ?? '';
              if (name.startsWith(SIM_NODE_PREFIX)) this.#events++;
              if (this.#ready.delete(name)) this.#lostReady++;
              continue;
            }
            this.#see(event.object, true);
          }
        });
        res.on('end', () => resolve());
        res.on('close', () => resolve());
        res.on('error', (err) => (this.#closed ? resolve() : reject(err)));
      });
      req.on('error', (err) => (this.#closed ? resolve() : reject(err)));
      req.end();
    });
  }
}

interface Kubeconfig {
  clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
  users?: { user?: { 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
}
