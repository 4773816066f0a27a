// Entry of `npm run bench -- NAME [OPTIONS]`. Progress goes to stderr; stdout
// holds only the result (the table, or with --json one JSON object).
import { agentsJson, agentsTable } from './agents-report.js';
import { AGENTS, runAgentsBench } from './agents.js';
import { apiJson, apiTable } from './api-report.js';
import { API, runApiBench } from './api.js';
import { Cleanup } from './cleanup.js';
import { crdJson, crdTable } from './crd-report.js';
import { CRD_BENCH, KINDS, runCrdBench } from './crd.js';
import { idleJson, idleTable } from './idle-report.js';
import { IDLE, runIdleBench } from './idle.js';
import { podsJson, podsTable } from './pods-report.js';
import { PODS, runPodsBench } from './pods.js';
import { schedulerJson, schedulerTable } from './scheduler-report.js';
import { runSchedulerBench, SCHEDULER } from './scheduler.js';
import { storeJson, storeTable } from './store-report.js';
import { runStoreBench } from './store.js';

/** A day is plenty for a window, and keeps the watchdog's timer within setTimeout's range. */
const MAX_SECONDS = 86_400;

const USAGE = `usage: npm run bench -- store [--json]
       npm run bench -- idle [--seconds N] [--json]
       npm run bench -- api [--seconds N] [--cpu-prof DIR] [--json]
       npm run bench -- crd [--seconds N] [--json]
       npm run bench -- agents [--agents N] [--seconds N] [--cpu-prof DIR] [--json]
       npm run bench -- scheduler [--cpu-prof DIR] [--json]
       npm run bench -- pods [--seconds N] [--json]

  store        Bramble's embedded store against a real etcd (installed from
               Debian's etcd-server when missing), every write fsynced on both sides
  idle         CPU, disk writes and memory of an idle \`bramble server\` beside
               an idle etcd, both measured over the same window
  api          the Kubernetes API of a real \`bramble server\` over HTTPS: create/get/update/list
               latency under ${API.clients} clients, lists of ${API.pods} pods as JSON and Table, server RSS
  crd          writes of custom resources on a real \`bramble server\`: ConfigMaps, a CRD's schema, and its CEL rules
               (${CRD_BENCH.rounds} rounds of windows per kind, ${CRD_BENCH.clients} clients)
  agents       a real \`bramble server\` with simulated agents (real joins, one mTLS gRPC stream each,
               a status every 10 s): join times, then the server's CPU, RSS and disk writes
  scheduler    a real \`bramble server\` binding ${SCHEDULER.pods} pending pods to ${SCHEDULER.nodes} simulated Nodes: pods bound per second
  pods         a real \`bramble agent\` on a real containerd (as root; Debian's containerd, runc, CNI plugins, docker-registry,
               busybox-static, umoci, skopeo): startup latency of ${PODS.startupPods} pods, then the agent's CPU and RSS with ${PODS.runningPods} running
  --agents N   agents only: one fleet of N agents (1 to ${AGENTS.maxAgents}) instead of ${AGENTS.defaultSizes.join(' then ')}
  --seconds N  idle, api, crd, agents and pods: the window, in whole seconds (default ${IDLE.defaultSeconds} for idle,
               ${API.defaultSeconds} for api, ${CRD_BENCH.defaultSeconds} per window for crd, ${AGENTS.defaultSeconds} for agents,
               ${PODS.defaultSeconds} for pods; at most ${MAX_SECONDS})
  --cpu-prof DIR
               api, agents and scheduler: run the server under \`node --cpu-prof\`, its profile written into DIR
  --json       print one JSON object on stdout instead of the table
`;

/** Past this (plus the window of idle or api) the run is broken, not slow: stop it rather than hang a terminal or CI. */
const WATCHDOG_MS = 20 * 60_000;

type Args =
  | { readonly bench: 'store'; readonly json: boolean }
  | { readonly bench: 'idle'; readonly json: boolean; readonly seconds: number }
  | { readonly bench: 'api'; readonly json: boolean; readonly seconds: number; readonly cpuProfDir: string | undefined }
  | { readonly bench: 'crd'; readonly json: boolean; readonly seconds: number }
  | { readonly bench: 'agents'; readonly json: boolean; readonly seconds: number; readonly cpuProfDir: string | undefined; readonly sizes: readonly number[] }
  | { readonly bench: 'scheduler'; readonly json: boolean; readonly cpuProfDir: string | undefined }
  | { readonly bench: 'pods'; readonly json: boolean; readonly seconds: number };

function parseArgs(argv: readonly string[]): Args | { readonly error: string } | 'help' {
  let bench: Args['bench'] | undefined;
  let json = false;
  let seconds: number | undefined;
  let cpuProfDir: string | undefined;
  let agents: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '-h' || arg === '--help') return 'help';
    else if (arg === '--seconds') {
      if (seconds !== undefined) return { error: '--seconds given twice' };
      const value = argv[++i];
      seconds = Number(value);
      if (value === undefined || !/^\d+$/.test(value) || seconds < 1 || seconds > MAX_SECONDS) {
        return { error: `--seconds takes a whole number of seconds from 1 to ${MAX_SECONDS}, not ${JSON.stringify(value ?? '')}` };
      }
    } else if (arg === '--cpu-prof') {
      if (cpuProfDir !== undefined) return { error: '--cpu-prof given twice' };
      cpuProfDir = argv[++i];
      if (cpuProfDir === undefined || cpuProfDir === '' || cpuProfDir.startsWith('-')) return { error: '--cpu-prof takes the folder to write the profile into' };
    } else if (arg === '--agents') {
      if (agents !== undefined) return { error: '--agents given twice' };
      const value = argv[++i];
      agents = Number(value);
      if (value === undefined || !/^\d+$/.test(value) || agents < 1 || agents > AGENTS.maxAgents) {
        return { error: `--agents takes a whole number of agents from 1 to ${AGENTS.maxAgents}, not ${JSON.stringify(value ?? '')}` };
      }
    } else if ((arg === 'store' || arg === 'idle' || arg === 'api' || arg === 'crd' || arg === 'agents' || arg === 'scheduler' || arg === 'pods') && bench === undefined) bench = arg;
    else return { error: arg.startsWith('-') ? `unknown option ${arg}` : `unknown benchmark ${JSON.stringify(arg)}` };
  }
  if (bench === undefined) return { error: 'name the benchmark to run' };
  if (bench === 'agents') {
    return { bench, json, seconds: seconds ?? AGENTS.defaultSeconds, cpuProfDir, sizes: agents === undefined ? AGENTS.defaultSizes : [agents] };
  }
  if (agents !== undefined) return { error: '--agents is an option of the agents benchmark only' };
  if (bench === 'api') return { bench, json, seconds: seconds ?? API.defaultSeconds, cpuProfDir };
  if (bench === 'scheduler') return seconds === undefined ? { bench, json, cpuProfDir } : { error: '--seconds is an option of the idle, api, crd, agents and pods benchmarks only' };
  if (cpuProfDir !== undefined) return { error: '--cpu-prof is an option of the api, agents and scheduler benchmarks only' };
  if (bench === 'idle') return { bench, json, seconds: seconds ?? IDLE.defaultSeconds };
  if (bench === 'pods') return { bench, json, seconds: seconds ?? PODS.defaultSeconds };
  if (bench === 'crd') return { bench, json, seconds: seconds ?? CRD_BENCH.defaultSeconds };
  if (seconds !== undefined) return { error: '--seconds is an option of the idle, api, crd, agents and pods benchmarks only' };
  return { bench, json };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if ('error' in args) {
    process.stderr.write(`bench: ${args.error}\n\n${USAGE}`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const cleanup = new Cleanup();
  let aborting = false;
  const abort = (why: string, code: number) => {
    aborting = true;
    log(why);
    void cleanup.run().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted; stopping the servers it started and removing temporary folders', 130));
  process.once('SIGTERM', () => abort('terminated; stopping the servers it started and removing temporary folders', 143));
  // bench agents runs its window once per fleet size.
  const windows =
    args.bench === 'store' || args.bench === 'scheduler'
      ? 0
      : args.bench === 'agents'
        ? args.sizes.length * args.seconds
        : args.bench === 'crd'
          ? CRD_BENCH.rounds * KINDS.length * args.seconds
          : args.seconds;
  const watchdogMs = WATCHDOG_MS + windows * 1000;
  const watchdog = setTimeout(() => abort(`still running after ${Math.round(watchdogMs / 60_000)} minutes; giving up`, 1), watchdogMs);
  try {
    if (args.bench === 'agents') {
      const report = await runAgentsBench({ sizes: args.sizes, seconds: args.seconds, cpuProfDir: args.cpuProfDir }, cleanup, log);
      process.stdout.write(args.json ? `${JSON.stringify(agentsJson(report))}\n` : `${agentsTable(report)}\n`);
    } else if (args.bench === 'scheduler') {
      const report = await runSchedulerBench(args.cpuProfDir, cleanup, log);
      process.stdout.write(args.json ? `${JSON.stringify(schedulerJson(report))}\n` : `${schedulerTable(report)}\n`);
    } else if (args.bench === 'api') {
      const report = await runApiBench({ seconds: args.seconds, cpuProfDir: args.cpuProfDir }, cleanup, log);
      process.stdout.write(args.json ? `${JSON.stringify(apiJson(report))}\n` : `${apiTable(report)}\n`);
    } else if (args.bench === 'crd') {
      const report = await runCrdBench(args.seconds, cleanup, log);
      process.stdout.write(args.json ? `${JSON.stringify(crdJson(report))}\n` : `${crdTable(report)}\n`);
    } else if (args.bench === 'pods') {
      const report = await runPodsBench(args.seconds, cleanup, log);
      process.stdout.write(args.json ? `${JSON.stringify(podsJson(report))}\n` : `${podsTable(report)}\n`);
    } else if (args.bench === 'idle') {
      const report = await runIdleBench(args.seconds, cleanup, log);
      process.stdout.write(args.json ? `${JSON.stringify(idleJson(report))}\n` : `${idleTable(report)}\n`);
    } else {
      const report = await runStoreBench(cleanup, log);
      process.stdout.write(args.json ? `${JSON.stringify(storeJson(report))}\n` : `${storeTable(report)}\n`);
    }
    return 0;
  } catch (err) {
    // Once aborting, the run fails only because cleanup pulled a store or server from under it.
    if (!aborting) log(`failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    clearTimeout(watchdog);
    await cleanup.run();
  }
}

process.exitCode = await main();
