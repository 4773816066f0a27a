#!/usr/bin/env node
// The `bramble` command: reads like a table of contents; each subcommand's
// wiring lives in its own file.
import { isUsageError, UsageError } from '../common/flags.js';
import { BRAMBLE_VERSION } from '../common/version.js';

export interface Command {
  run(args: string[]): Promise<number>;
}

/** Each command's code loads only when it runs: `bramble --version` stays quick on a Pi. */
const commands: Record<string, { readonly summary: string; load(): Promise<Command> }> = {
  agent: { summary: 'run a node agent that joins a server', load: async () => (await import('./agent.js')).agentCommand },
  server: { summary: 'run the Bramble server (backup and restore its store)', load: async () => (await import('./server.js')).serverCommand },
  token: { summary: 'create, list and delete the tokens agents join with', load: async () => (await import('./token.js')).tokenCommand },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return [
    'bramble: a lightweight Kubernetes distribution for home labs and edge nodes',
    '',
    'Usage: bramble COMMAND [flags]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Flags:',
    '  --version  print the version',
    '  --help     print this help',
    '',
    "Run 'bramble COMMAND --help' for a command's flags.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(usage() + '\n');
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === 'version') {
    process.stdout.write(`bramble version v${BRAMBLE_VERSION}\n`);
    return 0;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown flag: ${first}`);
  const command = commands[first];
  if (command === undefined) throw new UsageError(`unknown command "${first}"`);
  return (await command.load()).run(rest);
}

// A reader that stops early (`bramble --help | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isUsageError(err)) {
      process.stderr.write(`bramble: ${err.message}\nRun 'bramble --help' for usage.\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`bramble: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
