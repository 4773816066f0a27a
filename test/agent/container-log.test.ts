// Reading CRI log files as kubelet serves them, on files written by hand.
import assert from 'node:assert/strict';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ContainerLogOptions, parseCriLogLine, readContainerLog } from '../../agent/streams/container-log.js';
import { tempDir } from '../helpers/temp.js';

const FILE = [
  '2026-11-22T01:52:58.100000000Z stdout F first',
  '2026-11-22T01:52:59.200000000Z stdout P par',
  '2026-11-22T01:52:59.300000000Z stdout P ti',
  '2026-11-22T01:52:59.400000000Z stdout F al',
  'not a log line',
  '2026-11-22T01:53:00.5Z stderr F ',
  '2026-11-22T01:53:01.000000001+01:00 stderr F last one',
  '',
].join('\n');

async function read(path: string, options: Partial<ContainerLogOptions> = {}): Promise<string> {
  const parts: Buffer[] = [];
  const all = { follow: false, timestamps: false, running: () => Promise.resolve(false), signal: new AbortController().signal, ...options };
  for await (const part of readContainerLog(path, all)) parts.push(part);
  return Buffer.concat(parts).toString();
}

test('partial entries join into one line, malformed lines are skipped, an empty entry is an empty line', async (t) => {
  const path = join(await tempDir(t), '0.log');
  await writeFile(path, FILE);
  assert.equal(await read(path), 'first\npartial\n\nlast one\n');
});

test('timestamps go before each line as written, not before the rest of a partial one', async (t) => {
  const path = join(await tempDir(t), '0.log');
  await writeFile(path, FILE);
  assert.equal(
    await read(path, { timestamps: true }),
    '2026-11-22T01:52:58.100000000Z first\n2026-11-22T01:52:59.200000000Z partial\n2026-11-22T01:53:00.5Z \n2026-11-22T01:53:01.000000001+01:00 last one\n',
  );
});

test('tailLines counts the file\'s lines (kubelet\'s way), sinceMs compares the entries\' times, limitBytes cuts', async (t) => {
  const path = join(await tempDir(t), '0.log');
  await writeFile(path, FILE);
  assert.equal(await read(path, { tailLines: 1 }), 'last one\n');
  assert.equal(await read(path, { tailLines: 2 }), '\nlast one\n');
  assert.equal(await read(path, { tailLines: 100 }), 'first\npartial\n\nlast one\n');
  assert.equal(await read(path, { tailLines: 0 }), '');
  // The +01:00 entry is 00:53:01Z: before the one at 01:53:00.5Z.
  assert.equal(await read(path, { sinceMs: Date.parse('2026-11-22T01:52:59.300Z') }), 'tial\n\n');
  assert.equal(await read(path, { limitBytes: 8 }), 'first\npa');
});

test('follow sends what is appended and ends once the container stops', async (t) => {
  const path = join(await tempDir(t), '0.log');
  await writeFile(path, '2026-11-22T01:52:58Z stdout F a\n');
  let running = true;
  const parts: string[] = [];
  const reading = (async () => {
    for await (const part of readContainerLog(path, { follow: true, timestamps: false, running: () => Promise.resolve(running), signal: new AbortController().signal, checkIntervalMs: 100 })) parts.push(part.toString());
  })();
  await sleep(300);
  await appendFile(path, '2026-11-22T01:52:59Z stdout F b\n');
  await sleep(300);
  assert.deepEqual(parts, ['a\n', 'b\n']);
  await appendFile(path, '2026-11-22T01:53:00Z stdout F c\n');
  running = false;
  await reading;
  assert.equal(parts.join(''), 'a\nb\nc\n');
});

test('a CRI log line is parsed into time, stream, tag and content', () => {
  const entry = parseCriLogLine(Buffer.from('2026-11-22T01:52:58.742064313Z stderr P:x some text'));
  assert.deepEqual(entry && { ...entry, content: entry.content.toString() }, {
    timestamp: '2026-11-22T01:52:58.742064313Z',
    timeMs: Date.parse('2026-11-22T01:52:58.742Z'),
    stream: 'stderr',
    partial: true,
    content: 'some text',
  });
  assert.equal(parseCriLogLine(Buffer.from('2026-11-22T01:52:58Z stdin F x')), undefined);
  assert.equal(parseCriLogLine(Buffer.from('yesterday stdout F x')), undefined);
});
