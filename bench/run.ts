// Entry of `npm run bench -- NAME [--json]`. Progress goes to stderr; stdout
// holds only the result (the table, or with --json one JSON object).
import { Cleanup } from './cleanup.js';
import { storeJson, storeTable } from './store-report.js';
import { runStoreBench } from './store.js';

const USAGE = `usage: npm run bench -- store [--json]

  store    Bramble's embedded store against a real etcd (installed from
           Debian's etcd-server when missing), every write fsynced on both sides
  --json   print one JSON object on stdout instead of the table
`;

/** Past this the run is broken, not slow: stop it rather than hang a terminal or CI. */
const WATCHDOG_MS = 20 * 60_000;

interface Args {
  readonly bench: 'store';
  readonly json: boolean;
}

function parseArgs(argv: readonly string[]): Args | { readonly error: string } | 'help' {
  let bench: 'store' | undefined;
  let json = false;
  for (const arg of argv) {
    if (arg === '--json') json = true;
    else if (arg === '-h' || arg === '--help') return 'help';
    else if (arg === 'store' && bench === undefined) bench = arg;
    else return { error: arg.startsWith('-') ? `unknown option ${arg}` : `unknown benchmark ${JSON.stringify(arg)}` };
  }
  if (bench === undefined) return { error: 'name the benchmark to run' };
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
  process.once('SIGINT', () => abort('interrupted; stopping etcd and removing temporary folders', 130));
  process.once('SIGTERM', () => abort('terminated; stopping etcd and removing temporary folders', 143));
  const watchdog = setTimeout(() => abort(`still running after ${WATCHDOG_MS / 60_000} minutes; giving up`, 1), WATCHDOG_MS);
  try {
    const report = await runStoreBench(cleanup, log);
    process.stdout.write(args.json ? `${JSON.stringify(storeJson(report))}\n` : `${storeTable(report)}\n`);
    return 0;
  } catch (err) {
    // Once aborting, the workload fails only because cleanup pulled the store or etcd from under it.
    if (!aborting) log(`failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    clearTimeout(watchdog);
    await cleanup.run();
  }
}

process.exitCode = await main();
