import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { brambleBin, packageVersion, repoRoot, runBramble } from '../helpers/bramble.js';
import { tempDir } from '../helpers/temp.js';

test('--version prints the package version', async () => {
  const r = await runBramble(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `bramble version v${packageVersion}\n`);
});

test('npx bramble runs the CLI from a checkout', async () => {
  const { stdout } = await promisify(execFile)('npx', ['--no-install', 'bramble', '--version'], { cwd: repoRoot });
  assert.equal(stdout, `bramble version v${packageVersion}\n`);
});

test('--help lists the commands; no command at all is a usage error', async () => {
  const help = await runBramble(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: bramble COMMAND/);
  assert.match(help.stdout, /\n {2}server +run the Bramble server/);
  const bare = await runBramble([]);
  assert.equal(bare.code, 2);
  const serverHelp = await runBramble(['server', '--help']);
  assert.equal(serverHelp.code, 0);
  assert.match(serverHelp.stdout, /--data-dir DIR/);
  assert.match(serverHelp.stdout, /backup +write a consistent backup/);
});

/** An agent command line that would join, but for its --node-ip. */
function agentWithIp(ip: string): string[] {
  return ['agent', '--server', 'https://192.0.2.1:6443', '--token', 'K10abc::server:secret', '--node-ip', ip];
}

test('bad command lines exit 2 with a clear message and touch nothing', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const cases: [string[], RegExp][] = [
    [['server', '--data-dir', dataDir, '--bogus'], /unknown flag: --bogus/],
    [['server', '--data-dir'], /flag --data-dir needs a value/],
    [['server', '--data-dir', dataDir, '--log-level', 'loud'], /--log-level takes one of debug, info, warn, error/],
    [['server', '--data-dir', dataDir, '--disable-agent=maybe'], /--disable-agent takes true or false/],
    [['server', 'frobnicate'], /unknown server subcommand "frobnicate"/],
    [['server', 'backup', '--data-dir', dataDir], /flag --to is required/],
    [['server', 'restore', '--data-dir', dataDir], /flag --from is required/],
    [['server', '--data-dir', dataDir, 'extra'], /unexpected argument "extra"/],
    [['nonsense'], /unknown command "nonsense"/],
    // --node-ip as kubelet checks it: no loopback, link-local, multicast or unspecified address.
    ...(['127.0.0.1', '::1'] as const).map((ip): [string[], RegExp] => [agentWithIp(ip), /flag --node-ip: nodeIP can't be loopback address/]),
    [agentWithIp('169.254.10.1'), /flag --node-ip: nodeIP can't be a link-local unicast address/],
    [agentWithIp('239.1.1.1'), /flag --node-ip: nodeIP can't be a multicast address/],
    [agentWithIp('0.0.0.0'), /flag --node-ip: nodeIP can't be an all zeros address/],
    [agentWithIp('10.0.0.300'), /flag --node-ip takes an IP address, not "10.0.0.300"/],
    [['--nonsense'], /unknown flag: --nonsense/],
  ];
  for (const [args, message] of cases) {
    const r = await runBramble(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Run 'bramble --help' for usage/);
  }
  await assert.rejects(stat(dataDir), { code: 'ENOENT' });
});

test('the bin runs an agent with the memory settings of a Pi, and a server with V8’s defaults', async (t) => {
  // A preload reports, from inside the node the bin started, how it was started.
  const preload = join(await tempDir(t), 'report.cjs');
  await writeFile(preload, `process.stderr.write('execArgv=' + JSON.stringify(process.execArgv) + '\\n');`);
  const execArgv = async (command: string) => {
    const { stderr } = await promisify(execFile)(brambleBin, [command, '--help'], { env: { ...process.env, BRAMBLE_NODE_ARGS: `--require ${preload}` } });
    return JSON.parse(/^execArgv=(.*)$/m.exec(stderr)![1]!) as string[];
  };
  assert.deepEqual(await execArgv('agent'), ['--lite-mode', '--no-expose-wasm', '--max-semi-space-size=1', '--require', preload]);
  assert.deepEqual(await execArgv('server'), ['--require', preload]);
});
