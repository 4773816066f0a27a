#!/usr/bin/env node
// The `bramble` command: reads like a table of contents; each subcommand's
// wiring lives in its own file.
import { readFileSync } from 'node:fs';
import { UsageError } from '../common/flags.js';
import { serverCommand } from './server.js';

export interface Command {
  readonly summary: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  server: serverCommand,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

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
    process.stdout.write(`bramble version v${version()}\n`);
    return 0;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown flag: ${first}`);
  const command = commands[first];
  if (command === undefined) throw new UsageError(`unknown command "${first}"`);
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`bramble: ${err.message}\nRun 'bramble --help' for usage.\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`bramble: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
