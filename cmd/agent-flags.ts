// The node flags `bramble agent` and `bramble server` (for its embedded agent)
// share, named as k3s names them, and their checks: every label, taint and
// name is refused here, with the flag named, before anything starts.
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { isLinkLocalUnicast, isLoopback, isMulticast, isUnspecified, parseIpSloppy } from '../common/ip-addresses.js';
import type { Taint } from '../common/agent-protocol.js';
import { durationFlag, type FlagSpec, type FlagValues, UsageError } from '../common/flags.js';
import { labelValueErrors, qualifiedNameErrors } from '../server/api/kinds/labels.js';
import { checkName } from '../server/api/registry/names.js';
import { DEFAULT_METRIC_RESOLUTION_MS } from '../agent/metrics/metrics-reporter.js';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export const nodeFlagSpecs: FlagSpec[] = [
  { name: 'node-name', kind: 'string', placeholder: 'NAME', help: 'name of this node (default the host name, lower case)' },
  { name: 'node-label', kind: 'list', placeholder: 'KEY=VALUE', help: 'label for the node (repeatable)' },
  { name: 'node-taint', kind: 'list', placeholder: 'KEY=VALUE:EFFECT', help: 'taint the node registers with (repeatable)' },
  { name: 'node-ip', kind: 'string', placeholder: 'IP', help: "the node's InternalIP (default the address of the default route's interface)" },
  {
    name: 'container-runtime-endpoint',
    kind: 'string',
    placeholder: 'URL',
    help: 'CRI socket of containerd (default unix:///run/containerd/containerd.sock)',
  },
  { name: 'node-status-update-frequency', kind: 'string', placeholder: 'DURATION', help: 'how often the node reports its status (default 10s)' },
  {
    name: 'metric-resolution',
    kind: 'string',
    placeholder: 'DURATION',
    help: "how often the node samples its pods' CPU and memory for kubectl top and autoscaling (default 15s)",
  },
];

export interface NodeSettings {
  readonly nodeName: string;
  readonly labels: Record<string, string>;
  readonly taints: Taint[];
  readonly nodeIp?: string;
  readonly runtimeEndpoint: string;
  readonly statusIntervalMs: number;
  readonly metricResolutionMs: number;
}

export function nodeSettings(flags: FlagValues): NodeSettings {
  const nodeName = (flags['node-name'] as string | undefined) ?? hostname().toLowerCase();
  const nameErrors = checkName(nodeName, 'subdomain', 'node name');
  if (nameErrors.length > 0) throw new UsageError(`flag --node-name: ${nameErrors[0]?.message ?? ''}`);
  const nodeIp = flags['node-ip'] as string | undefined;
  if (nodeIp !== undefined && isIP(nodeIp) === 0) throw new UsageError(`flag --node-ip takes an IP address, not "${nodeIp}"`);
  const special = nodeIp === undefined ? undefined : specialNodeIp(nodeIp);
  if (special !== undefined) throw new UsageError(`flag --node-ip: ${special}`);
  const statusIntervalMs = durationFlag('node-status-update-frequency', flags['node-status-update-frequency'] as string | undefined, 10_000);
  if (statusIntervalMs < 1000) throw new UsageError('flag --node-status-update-frequency must be at least 1s');
  const metricResolutionMs = durationFlag('metric-resolution', flags['metric-resolution'] as string | undefined, DEFAULT_METRIC_RESOLUTION_MS);
  if (metricResolutionMs < 1000) throw new UsageError('flag --metric-resolution must be at least 1s');
  return {
    nodeName,
    labels: Object.fromEntries(((flags['node-label'] as string[] | undefined) ?? []).map(parseLabel)),
    taints: parseTaints((flags['node-taint'] as string[] | undefined) ?? []),
    ...(nodeIp !== undefined ? { nodeIp } : {}),
    runtimeEndpoint: (flags['container-runtime-endpoint'] as string | undefined) ?? 'unix:///run/containerd/containerd.sock',
    statusIntervalMs,
    metricResolutionMs,
  };
}

function parseLabel(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq === -1) throw new UsageError(`flag --node-label takes KEY=VALUE, not "${text}"`);
  const [key, value] = [text.slice(0, eq), text.slice(eq + 1)];
  const problems = [...qualifiedNameErrors(key), ...labelValueErrors(value)];
  if (problems.length > 0) throw new UsageError(`flag --node-label "${text}": ${problems[0]}`);
  return [key, value];
}

/** Each taint, and no two with one key and effect (the API would refuse the Node). */
function parseTaints(texts: readonly string[]): Taint[] {
  const taints: Taint[] = [];
  for (const text of texts) {
    const taint = parseTaint(text);
    if (taints.some((t) => t.key === taint.key && t.effect === taint.effect)) {
      throw new UsageError(`flag --node-taint "${text}": duplicated taints with the same key and effect`);
    }
    taints.push(taint);
  }
  return taints;
}

/** KEY[=VALUE]:EFFECT, as kubelet's --register-with-taints. */
function parseTaint(text: string): Taint {
  const match = /^([^=:]+)(?:=([^:]*))?:([^:]+)$/.exec(text);
  if (match === null) throw new UsageError(`flag --node-taint takes KEY=VALUE:EFFECT, not "${text}"`);
  const [, key = '', value = '', effect = ''] = match;
  if (!TAINT_EFFECTS.includes(effect)) throw new UsageError(`flag --node-taint "${text}": the effect must be one of ${TAINT_EFFECTS.join(', ')}`);
  const problems = [...qualifiedNameErrors(key), ...labelValueErrors(value)];
  if (problems.length > 0) throw new UsageError(`flag --node-taint "${text}": ${problems[0]}`);
  return { key, value, effect };
}

/** kubelet's validateNodeIP, but for the check that the address is the host's own: what no node's InternalIP can be. */
function specialNodeIp(text: string): string | undefined {
  const ip = parseIpSloppy(text);
  if (ip === undefined) return "nodeIP must be a valid IP address";
  if (isLoopback(ip)) return "nodeIP can't be loopback address";
  if (isMulticast(ip)) return "nodeIP can't be a multicast address";
  if (isLinkLocalUnicast(ip)) return "nodeIP can't be a link-local unicast address";
  if (isUnspecified(ip)) return "nodeIP can't be an all zeros address";
  return undefined;
}
