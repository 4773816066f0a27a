// `bramble token create|list|delete`: the join tokens agents join with. The
// running server owns the store, so these talk to its admin socket.
import { resolve } from 'node:path';
import { durationFlag, flagHelp, type FlagSpec, type FlagValues, parseFlags, UsageError } from '../common/flags.js';
import { isTokenId } from '../common/join-token.js';
import { adminSocketPath, defaultDataDir } from '../common/paths.js';
import { callAdmin, NoServerError } from '../server/admin/admin-client.js';
import { type CreatedToken, MAX_TTL_SECONDS, type TokenInfo } from '../server/agents/bootstrap-tokens.js';
import type { Command } from './bramble.js';

/** Like k3s: a token that is forgotten about stops working by itself. */
const DEFAULT_TTL = '24h';

const common: FlagSpec[] = [
  { name: 'data-dir', kind: 'string', placeholder: 'DIR', help: `data folder of the running server (default ${defaultDataDir()})` },
  { name: 'help', kind: 'boolean', help: 'print this help' },
];

interface Subcommand {
  readonly args: string;
  readonly summary: string;
  readonly flags: FlagSpec[];
  run(dataDir: string, flags: FlagValues, positionals: string[]): Promise<number>;
}

const subcommands: Record<string, Subcommand> = {
  create: {
    args: '[flags]',
    summary: 'create a join token and print it (the only time its secret is shown)',
    flags: [
      {
        name: 'ttl',
        kind: 'string',
        placeholder: 'DURATION',
        help: `time until the token expires, such as 30m, 24h or 1h30m; 0 never expires (default ${DEFAULT_TTL})`,
      },
      { name: 'description', kind: 'string', placeholder: 'TEXT', help: 'what the token is for, shown by list' },
      ...common,
    ],
    run: create,
  },
  list: { args: '[flags]', summary: 'list the join tokens by ID (never their secrets)', flags: common, run: list },
  delete: { args: 'ID... [flags]', summary: 'delete join tokens: agents can no longer join with them', flags: common, run: remove },
};

function usage(): string {
  const width = Math.max(...Object.keys(subcommands).map((n) => n.length));
  return [
    'Usage: bramble token COMMAND [flags]: manage the tokens agents join the cluster with',
    '',
    'Commands:',
    ...Object.entries(subcommands).map(([name, s]) => `  ${name.padEnd(width)}  ${s.summary}`),
    '',
    "Run 'bramble token COMMAND --help' for a command's flags.",
  ].join('\n');
}

export const tokenCommand: Command = {
  async run(args) {
    const [name, ...rest] = args;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`${usage()}\n`);
      return name === undefined ? 2 : 0;
    }
    const sub = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
    if (sub === undefined) throw new UsageError(`unknown token subcommand "${name}" (known: ${Object.keys(subcommands).join(', ')})`);
    const { flags, positionals } = parseFlags(rest, sub.flags);
    if (flags['help'] === true) {
      process.stdout.write(`Usage: bramble token ${name} ${sub.args}: ${sub.summary}\n\nFlags:\n${flagHelp(sub.flags)}\n`);
      return 0;
    }
    return sub.run(resolve((flags['data-dir'] as string | undefined) ?? defaultDataDir()), flags, positionals);
  },
};

async function create(dataDir: string, flags: FlagValues, positionals: string[]): Promise<number> {
  noPositionals(positionals);
  const ttlSeconds = parseTtl((flags['ttl'] as string | undefined) ?? DEFAULT_TTL);
  const description = flags['description'] as string | undefined;
  const created = await callServer<CreatedToken>(dataDir, 'POST', '/tokens', { ttlSeconds, description });
  process.stdout.write(`${created.token}\n`);
  return 0;
}

async function list(dataDir: string, _flags: FlagValues, positionals: string[]): Promise<number> {
  noPositionals(positionals);
  const { tokens } = await callServer<{ tokens: TokenInfo[] }>(dataDir, 'GET', '/tokens');
  process.stdout.write(tokenTable(tokens, Date.now()));
  return 0;
}

async function remove(dataDir: string, _flags: FlagValues, positionals: string[]): Promise<number> {
  if (positionals.length === 0) throw new UsageError('token delete needs at least one token ID');
  // Never echo a bad argument: it may be a whole token, secret included.
  positionals.forEach((id, i) => {
    if (!isTokenId(id)) throw new UsageError(`argument ${i + 1} is not a token ID (6 characters, a-z and 0-9; see 'bramble token list')`);
  });
  const ids = [...new Set(positionals)];
  // All or nothing: every ID is checked before the first delete.
  const { tokens } = await callServer<{ tokens: TokenInfo[] }>(dataDir, 'GET', '/tokens');
  const byId = new Map(tokens.map((t) => [t.id, t]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length > 0) throw new Error(`token ID ${unknown.join(', ')} is not known to this server: nothing was deleted`);
  const server = ids.find((id) => byId.get(id)?.server === true);
  if (server !== undefined) throw new Error(`token ${server} is the server token, which cannot be deleted: nothing was deleted`);
  for (const id of ids) {
    await callServer(dataDir, 'DELETE', `/tokens/${id}`);
    process.stdout.write(`token ${id} deleted\n`);
  }
  return 0;
}

function noPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
}

/** A duration as k3s takes it (30m, 24h, 1h30m, 90s) in whole seconds; 0 means never. */
function parseTtl(text: string): number {
  const ms = durationFlag('ttl', text, 0);
  if (ms % 1000 !== 0) throw new UsageError(`flag --ttl takes whole seconds, not "${text}"`);
  if (ms / 1000 > MAX_TTL_SECONDS) throw new UsageError(`flag --ttl may be at most ${MAX_TTL_SECONDS / 3600}h (0: never expires)`);
  return ms / 1000;
}

/** Columns like `kubeadm token list`, IDs only. */
function tokenTable(tokens: readonly TokenInfo[], now: number): string {
  const rows = [
    ['TOKEN ID', 'TTL', 'EXPIRES', 'DESCRIPTION'],
    ...tokens.map((t) => [t.id, ttlLeft(t.expires, now), t.expires?.replace(/\.\d+Z$/, 'Z') ?? '<never>', t.description]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => `${r.map((cell, col) => cell.padEnd(widths[col]!)).join('   ').trimEnd()}\n`).join('');
}

function ttlLeft(expires: string | undefined, now: number): string {
  if (expires === undefined) return '<forever>';
  const seconds = Math.round((Date.parse(expires) - now) / 1000);
  if (seconds <= 0) return '<expired>';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 120 * 60) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** One JSON request to the running server's admin socket, with what to do when there is none. */
async function callServer<T>(dataDir: string, method: string, path: string, body?: unknown): Promise<T> {
  const socketPath = adminSocketPath(dataDir);
  try {
    return await callAdmin<T>(socketPath, method, path, body);
  } catch (err) {
    if (err instanceof NoServerError) {
      throw new Error(`no Bramble server is running with data dir ${dataDir} (nothing answers on ${socketPath}); start one with 'bramble server'`);
    }
    if ((err as NodeJS.ErrnoException).code === 'EACCES') {
      throw new Error(`cannot use ${socketPath}: permission denied (run this as the user that runs the server)`);
    }
    throw err;
  }
}
