// Cluster IPs and node ports for Services. Each address or port in use is a
// key of its own in the store, claimed with `create` (which fails when the key
// exists): atomic without a lock, and equally right with several servers on
// one etcd later. Keys are given back when a Service lets go of them.
import { isStoreError } from '../../store/errors.js';
import type { Store } from '../../store/types.js';
import type { KubeObject } from '../objects.js';
import { errors, type StatusCause } from '../status.js';

export interface ServiceRangesConfig {
  /** IPv4 CIDR of cluster IPs (k3s' default 10.43.0.0/16). */
  readonly serviceCidr: string;
  readonly nodePortRange: readonly [number, number];
}

export const DEFAULT_SERVICE_RANGES: ServiceRangesConfig = { serviceCidr: '10.43.0.0/16', nodePortRange: [30000, 32767] };

const IP_PREFIX = '/registry/ranges/serviceips/';
const PORT_PREFIX = '/registry/ranges/servicenodeports/';
const RANDOM_TRIES = 64;

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: { name?: string; port?: number; nodePort?: number; protocol?: string }[];
}

export class ServiceRanges {
  private readonly base: number;
  private readonly size: number;

  constructor(
    private readonly store: Store,
    private readonly config: ServiceRangesConfig = DEFAULT_SERVICE_RANGES,
  ) {
    const [address, bits] = config.serviceCidr.split('/');
    const prefix = Number(bits);
    if (address === undefined || !(prefix >= 8 && prefix <= 30)) throw new Error(`service CIDR ${config.serviceCidr} must be an IPv4 CIDR from /8 to /30`);
    this.base = ipToNumber(address) & (prefix === 0 ? 0 : ~0 << (32 - prefix));
    this.size = 2 ** (32 - prefix);
  }

  /** The first address, reserved for the `kubernetes` Service as upstream does. */
  get apiServiceIP(): string {
    return numberToIp(this.base + 1);
  }

  /** Claims what `obj` needs and `old` did not hold; fills in allocated values. */
  async claim(obj: KubeObject, old: KubeObject | undefined): Promise<void> {
    const spec = (obj['spec'] ?? {}) as ServiceSpec;
    const before = (old?.['spec'] ?? {}) as ServiceSpec;
    const held = new Set(ipsOf(before));
    const claimed: string[] = [];
    try {
      if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
        if (spec.clusterIP === undefined || spec.clusterIP === '') {
          const ip = before.clusterIP && before.clusterIP !== 'None' ? before.clusterIP : await this.claimRandomIp(obj);
          if (!held.has(ip)) claimed.push(IP_PREFIX + ip);
          spec.clusterIP = ip;
        } else if (!held.has(spec.clusterIP)) {
          await this.claimIp(obj, spec.clusterIP);
          claimed.push(IP_PREFIX + spec.clusterIP);
        }
        spec.clusterIPs = [spec.clusterIP];
      }
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
        const heldPorts = new Set(portsOf(before));
        for (const [i, port] of (spec.ports ?? []).entries()) {
          if (port.nodePort === undefined || port.nodePort === 0) {
            port.nodePort = await this.claimRandomPort(obj);
            claimed.push(PORT_PREFIX + port.nodePort);
          } else if (!heldPorts.has(port.nodePort)) {
            await this.claimPort(obj, port.nodePort, i);
            claimed.push(PORT_PREFIX + port.nodePort);
          }
        }
      } else {
        for (const port of spec.ports ?? []) delete port.nodePort;
      }
      obj['spec'] = spec;
    } catch (err) {
      await this.releaseKeys(claimed);
      throw err;
    }
  }

  /** Gives back what `obj` holds and `keep` does not. */
  async release(obj: KubeObject, keep: KubeObject | undefined): Promise<void> {
    const spec = (obj['spec'] ?? {}) as ServiceSpec;
    const kept = (keep?.['spec'] ?? {}) as ServiceSpec;
    const keptIps = new Set(ipsOf(kept));
    const keptPorts = new Set(portsOf(kept));
    await this.releaseKeys([
      ...ipsOf(spec).filter((ip) => !keptIps.has(ip)).map((ip) => IP_PREFIX + ip),
      ...portsOf(spec).filter((p) => !keptPorts.has(p)).map((p) => PORT_PREFIX + p),
    ]);
  }

  private async claimIp(obj: KubeObject, ip: string): Promise<void> {
    const n = ipToNumber(ip);
    if (Number.isNaN(n) || n <= this.base || n >= this.base + this.size - 1) {
      throw invalid(obj, 'spec.clusterIPs', `Invalid value: []string{${JSON.stringify(ip)}}: failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.config.serviceCidr}`);
    }
    if (!(await this.claimKey(IP_PREFIX + ip, obj))) {
      throw invalid(obj, 'spec.clusterIPs', `Invalid value: []string{${JSON.stringify(ip)}}: failed to allocate IP ${ip}: provided IP is already allocated`);
    }
  }

  private async claimRandomIp(obj: KubeObject): Promise<string> {
    // Skip the network address, the API's own address (.1) and the broadcast address.
    for (let i = 0; i < RANDOM_TRIES; i++) {
      const ip = numberToIp(this.base + 2 + Math.floor(Math.random() * (this.size - 3)));
      if (await this.claimKey(IP_PREFIX + ip, obj)) return ip;
    }
    throw errors.internal(`failed to allocate a cluster IP from ${this.config.serviceCidr}: the range is full`);
  }

  private async claimPort(obj: KubeObject, port: number, index: number): Promise<void> {
    const [low, high] = this.config.nodePortRange;
    const field = `spec.ports[${index}].nodePort`;
    if (port < low || port > high) {
      throw invalid(obj, field, `Invalid value: ${port}: provided port is not in the valid range. The range of valid ports is ${low}-${high}`);
    }
    if (!(await this.claimKey(PORT_PREFIX + port, obj))) throw invalid(obj, field, `Invalid value: ${port}: provided port is already allocated`);
  }

  private async claimRandomPort(obj: KubeObject): Promise<number> {
    const [low, high] = this.config.nodePortRange;
    for (let i = 0; i < RANDOM_TRIES; i++) {
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if (await this.claimKey(PORT_PREFIX + port, obj)) return port;
    }
    throw errors.internal(`failed to allocate a node port from ${low}-${high}: the range is full`);
  }

  /** True when the key was free and is now ours. */
  private async claimKey(key: string, obj: KubeObject): Promise<boolean> {
    const owner = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
    try {
      await this.store.create(key, Buffer.from(owner));
      return true;
    } catch (err) {
      if (isStoreError(err, 'KeyExists')) return false;
      throw err;
    }
  }

  private async releaseKeys(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.store.delete(key);
      } catch (err) {
        if (!isStoreError(err, 'NotFound')) throw err;
      }
    }
  }
}

function ipsOf(spec: ServiceSpec): string[] {
  return spec.clusterIP && spec.clusterIP !== 'None' ? [spec.clusterIP] : [];
}

function portsOf(spec: ServiceSpec): number[] {
  return (spec.ports ?? []).flatMap((p) => (p.nodePort ? [p.nodePort] : []));
}

function invalid(obj: KubeObject, field: string, message: string) {
  const cause: StatusCause = { reason: 'FieldValueInvalid', message, field };
  return errors.invalid({ group: '', kind: 'Service' }, obj.metadata.name ?? '', [cause]);
}

function ipToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return NaN;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
