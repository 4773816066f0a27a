// `bramble server`, `bramble server backup`, `bramble server restore`.
import { resolve } from 'node:path';
import { durationFlag, flagHelp, type FlagSpec, type FlagValues, integerFlag, parseFlags, UsageError } from '../common/flags.js';
import { createLogger, isLogLevel, LOG_LEVELS, type Logger } from '../common/log.js';
import { isMissingOrEmptyDir } from '../common/fs.js';
import { adminSocketPath, agentDir, defaultDataDir, defaultKubeconfigPath, pkiDir, storeDir } from '../common/paths.js';
import { type RunningAgent, runAgent } from '../agent/run.js';
import { DEFAULT_GRACE_MS } from '../server/agents/node-keeper.js';
import { backupFromServer, NoServerError } from '../server/admin/admin-client.js';
import { pkiBackupFiles, restorePkiFiles } from '../server/pki/backup-files.js';
import { runServer } from '../server/run.js';
import { backupChunks, type BackupSummary, restoreBackup, saveBackup } from '../server/store/backup.js';
import { openLevelStore } from '../server/store/level-store.js';
import { nodeFlagSpecs, nodeSettings } from './agent-flags.js';
import type { Command } from './bramble.js';
import { stopSignal } from './stop-signal.js';

const common: FlagSpec[] = [
  { name: 'data-dir', kind: 'string', placeholder: 'DIR', help: `data folder (default ${defaultDataDir()})` },
  { name: 'log-level', kind: 'string', placeholder: 'LEVEL', help: `one of ${LOG_LEVELS.join(', ')} (default info)` },
  { name: 'help', kind: 'boolean', help: 'print this help' },
];

const subcommands: Record<string, { summary: string; flags: FlagSpec[]; run(flags: FlagValues, log: Logger): Promise<number> }> = {
  backup: {
    summary: 'write a consistent backup of the store to FILE, while the server runs or not',
    flags: [{ name: 'to', kind: 'string', placeholder: 'FILE', help: 'backup file to write (required)' }, ...common],
    run: backup,
  },
  restore: {
    summary: 'restore a backup into an empty data dir (with the server stopped)',
    flags: [{ name: 'from', kind: 'string', placeholder: 'FILE', help: 'backup file to read (required)' }, ...common],
    run: restore,
  },
};

const serverFlags: FlagSpec[] = [
  ...common,
  { name: 'bind-address', kind: 'string', placeholder: 'ADDR', help: 'address the API server listens on (default 0.0.0.0)' },
  { name: 'https-listen-port', kind: 'string', placeholder: 'PORT', help: 'port of the Kubernetes API (default 6443; 0 picks a free one)' },
  { name: 'write-kubeconfig', kind: 'string', placeholder: 'PATH', help: `where to write the admin kubeconfig (default ${defaultKubeconfigPath()})` },
  { name: 'write-kubeconfig-mode', kind: 'string', placeholder: 'MODE', help: 'file mode of the kubeconfig, octal (default 0600)' },
  { name: 'tls-san', kind: 'list', placeholder: 'NAME', help: 'extra host name or IP for the serving certificate (repeatable)' },
  { name: 'disable-agent', kind: 'boolean', help: 'do not run the embedded agent (this machine runs no pods)' },
  { name: 'disable-scheduler', kind: 'boolean', help: 'do not run the scheduler (pods without a node stay Pending)' },
  { name: 'leader-elect', kind: 'boolean', help: 'run the controllers and the scheduler only while holding their Leases in kube-system (for servers that share a store; off by default: one server needs no election, and renewals write every 2 s)' },
  { name: 'node-monitor-grace-period', kind: 'string', placeholder: 'DURATION', help: 'how long a silent agent stays Ready before its node is Unknown (default 40s)' },
  ...nodeFlagSpecs,
];

export const serverCommand: Command = {
  async run(args) {
    const sub = args[0] !== undefined && !args[0].startsWith('-') ? subcommands[args[0]] : undefined;
    if (args[0] !== undefined && !args[0].startsWith('-') && sub === undefined) {
      throw new UsageError(`unknown server subcommand "${args[0]}" (known: ${Object.keys(subcommands).join(', ')})`);
    }
    const specs = sub?.flags ?? serverFlags;
    const { flags, positionals } = parseFlags(sub === undefined ? args : args.slice(1), specs);
    if (flags['help'] === true) {
      const usage = sub === undefined ? 'Usage: bramble server [flags]' : `Usage: bramble server ${args[0]} [flags]: ${sub.summary}`;
      process.stdout.write(`${usage}\n\nFlags:\n${flagHelp(specs)}\n`);
      if (sub === undefined) {
        process.stdout.write(`\nSubcommands:\n${Object.entries(subcommands).map(([n, s]) => `  ${n}  ${s.summary}`).join('\n')}\n`);
      }
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const level = (flags['log-level'] as string | undefined) ?? 'info';
    if (!isLogLevel(level)) throw new UsageError(`flag --log-level takes one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
    const log = createLogger({ level });
    return sub === undefined ? serve(flags, log) : sub.run(flags, log);
  },
};

function dataDir(flags: FlagValues): string {
  return resolve((flags['data-dir'] as string | undefined) ?? defaultDataDir());
}

function required(flags: FlagValues, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string') throw new UsageError(`flag --${name} is required`);
  return value;
}

async function serve(flags: FlagValues, log: Logger): Promise<number> {
  const port = integerFlag('https-listen-port', flags['https-listen-port'] as string | undefined, 6443);
  if (port > 65535) throw new UsageError(`flag --https-listen-port takes a port number (0-65535), not ${port}`);
  const mode = (flags['write-kubeconfig-mode'] as string | undefined) ?? '0600';
  const graceMs = durationFlag('node-monitor-grace-period', flags['node-monitor-grace-period'] as string | undefined, DEFAULT_GRACE_MS);
  if (graceMs < 1000) throw new UsageError('flag --node-monitor-grace-period must be at least 1s');
  const node = flags['disable-agent'] === true ? undefined : nodeSettings(flags);
  const dir = dataDir(flags);
  if (!/^0?[0-7]{3}$/.test(mode)) throw new UsageError(`flag --write-kubeconfig-mode takes an octal file mode such as 0600, not "${mode}"`);
  const stopped = stopSignal();
  const server = await runServer({
    dataDir: dir,
    logger: log,
    bindAddress: (flags['bind-address'] as string | undefined) ?? '0.0.0.0',
    httpsPort: port,
    kubeconfigPath: resolve((flags['write-kubeconfig'] as string | undefined) ?? defaultKubeconfigPath()),
    kubeconfigMode: parseInt(mode, 8),
    tlsSans: (flags['tls-san'] as string[] | undefined) ?? [],
    nodeMonitorGracePeriodMs: graceMs,
    scheduler: flags['disable-scheduler'] !== true,
    leaderElect: flags['leader-elect'] === true,
  });
  let agent: RunningAgent | undefined;
  try {
    if (node !== undefined) {
      // The embedded agent joins like any other, with the server's own token, over loopback.
      agent = await runAgent({
        serverUrl: new URL(server.url),
        token: server.serverToken,
        dir: agentDir(dir),
        ...node,
        labels: { 'node-role.kubernetes.io/control-plane': 'true', ...node.labels },
        log: log.with({ component: 'agent' }),
      });
    }
  } catch (err) {
    await server.close();
    throw err;
  }
  log.info('stopping', { signal: await stopped });
  await agent?.close();
  await server.close();
  return 0;
}

async function backup(flags: FlagValues): Promise<number> {
  const file = resolve(required(flags, 'to'));
  const dir = dataDir(flags);
  let summary: BackupSummary;
  try {
    summary = await backupFromServer(adminSocketPath(dir), file);
  } catch (err) {
    if (!(err instanceof NoServerError)) throw err;
    // No server running: read the store directly (its lock keeps a starting server out meanwhile).
    summary = await offlineBackup(dir, file);
  }
  process.stdout.write(
    `backup of revision ${summary.revision} (${summary.entries} entries, ${summary.files.length} files, ${summary.bytes} bytes) written to ${file}\n`,
  );
  return 0;
}

async function offlineBackup(dir: string, file: string): Promise<BackupSummary> {
  const store = await openLevelStore({ path: storeDir(dir) });
  try {
    return await saveBackup(backupChunks(store.snapshotEntries(), await pkiBackupFiles(pkiDir(dir))), file);
  } finally {
    await store.close();
  }
}

async function restore(flags: FlagValues): Promise<number> {
  const file = resolve(required(flags, 'from'));
  const dir = dataDir(flags);
  // Both must be free before anything is written: a half-restored data dir helps nobody.
  for (const folder of [storeDir(dir), pkiDir(dir)]) {
    if (!(await isMissingOrEmptyDir(folder))) throw new Error(`${folder} is not empty: restore needs an empty data dir (move the old one aside first)`);
  }
  const summary = await restoreBackup(file, storeDir(dir));
  const files = await restorePkiFiles(pkiDir(dir), summary.files);
  process.stdout.write(`restored revision ${summary.revision} (${summary.entries} entries, ${files} PKI files) into ${dir}\n`);
  return 0;
}
