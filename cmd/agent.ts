// `bramble agent --server URL --token TOKEN`: a node joining the cluster.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { flagHelp, type FlagSpec, parseFlags, UsageError } from '../common/flags.js';
import { createLogger, isLogLevel, LOG_LEVELS } from '../common/log.js';
import { agentDir, defaultDataDir } from '../common/paths.js';
import { runAgent } from '../agent/run.js';
import { nodeFlagSpecs, nodeSettings } from './agent-flags.js';
import type { Command } from './bramble.js';
import { stopSignal } from './stop-signal.js';

const flagSpecs: FlagSpec[] = [
  { name: 'server', kind: 'string', placeholder: 'URL', help: 'the server to join, https://HOST:6443 (or $BRAMBLE_URL)' },
  { name: 'token', kind: 'string', placeholder: 'TOKEN', help: 'join token (or $BRAMBLE_TOKEN); needed only until the node has joined' },
  { name: 'token-file', kind: 'string', placeholder: 'PATH', help: 'file holding the join token' },
  { name: 'data-dir', kind: 'string', placeholder: 'DIR', help: `the agent's data folder (default ${agentDir(defaultDataDir())})` },
  ...nodeFlagSpecs,
  { name: 'log-level', kind: 'string', placeholder: 'LEVEL', help: `one of ${LOG_LEVELS.join(', ')} (default info)` },
  { name: 'help', kind: 'boolean', help: 'print this help' },
];

export const agentCommand: Command = {
  async run(args) {
    const { flags, positionals } = parseFlags(args, flagSpecs);
    if (flags['help'] === true) {
      process.stdout.write(`Usage: bramble agent --server URL --token TOKEN [flags]\n\nFlags:\n${flagHelp(flagSpecs)}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const level = (flags['log-level'] as string | undefined) ?? 'info';
    if (!isLogLevel(level)) throw new UsageError(`flag --log-level takes one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
    const serverUrl = parseServerUrl((flags['server'] as string | undefined) ?? process.env['BRAMBLE_URL']);
    const token = await readToken(flags['token'] as string | undefined, flags['token-file'] as string | undefined);
    const node = nodeSettings(flags);
    const log = createLogger({ level });
    const stopped = stopSignal();
    const agent = await runAgent({
      serverUrl,
      token,
      dir: resolve((flags['data-dir'] as string | undefined) ?? agentDir(defaultDataDir())),
      ...node,
      log,
    });
    log.info('stopping', { signal: await stopped });
    await agent.close();
    return 0;
  },
};

function parseServerUrl(text: string | undefined): URL {
  if (text === undefined || text === '') throw new UsageError('flag --server is required (or set BRAMBLE_URL): the URL of the server, https://HOST:6443');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`flag --server takes a URL such as https://192.168.1.10:6443, not "${text}"`);
  }
  if (url.protocol !== 'https:') throw new UsageError(`flag --server must be an https:// URL, not "${text}"`);
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') throw new UsageError(`flag --server takes only https://HOST[:PORT], not "${text}"`);
  // No port given: the server's default (an explicit :443 also reads as '' here, and stays).
  if (url.port === '' && !/:443(\/|$)/.test(text)) url.port = '6443';
  return url;
}

async function readToken(token: string | undefined, file: string | undefined): Promise<string | undefined> {
  if (token !== undefined && file !== undefined) throw new UsageError('give either --token or --token-file, not both');
  if (file !== undefined) {
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new Error(`cannot read the token file: ${(err as Error).message}`);
    }
  }
  const fromEnv = process.env['BRAMBLE_TOKEN'];
  return token ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
}
