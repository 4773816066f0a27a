import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { constants, createDeflate, inflateSync } from 'node:zlib';
import {
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  FrameParser,
  type SpdyFrame,
  SpdyProtocolError,
} from '../../common/spdy/frames.js';
import { HeaderCompressor, HeaderDecompressor } from '../../common/spdy/header-block.js';
import { HEADER_DICTIONARY } from '../../common/spdy/header-dictionary.js';
import { SpdySession, type SpdyStream } from '../../common/spdy/session.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Compresses like Go's spdystream: one zlib stream with the dictionary, best compression, a sync flush per block. */
function goStyleCompressor() {
  const deflate = createDeflate({ dictionary: HEADER_DICTIONARY, level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  return async (headers: Record<string, string>): Promise<Buffer> => {
    const parts: Buffer[] = [u32(Object.keys(headers).length)];
    for (const [n, v] of Object.entries(headers)) parts.push(u32(n.length), Buffer.from(n), u32(v.length), Buffer.from(v));
    deflate.write(Buffer.concat(parts));
    await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    await new Promise((r) => setImmediate(r));
    return Buffer.concat(out.splice(0));
  };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

test('the header dictionary is the SPDY/3 one, byte for byte', () => {
  assert.equal(HEADER_DICTIONARY.length, 1423);
  assert.equal(createHash('sha256').update(HEADER_DICTIONARY).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
});

test('frames encode to the bytes of the SPDY/3.1 layout', () => {
  assert.deepEqual(encodeData(1, Buffer.from('abc'), true), hex('00000001 01000003 616263'));
  assert.deepEqual(encodeData(0x7fffffff, Buffer.alloc(0), false), hex('7fffffff 00000000'));
  assert.deepEqual(encodeRstStream(3, 5), hex('80030003 00000008 00000003 00000005'));
  assert.deepEqual(encodePing(2), hex('80030006 00000004 00000002'));
  assert.deepEqual(encodeGoAway(7, 0), hex('80030007 00000008 00000007 00000000'));
  assert.deepEqual(encodeWindowUpdate(0, 65536), hex('80030009 00000008 00000000 00010000'));
  assert.deepEqual(encodeSettings([{ flags: 0, id: 7, value: 1000 }]), hex('80030004 0000000c 00000001 00000007 000003e8'));
  assert.deepEqual(encodeSynStream(1, hex('aabb'), { fin: true, priority: 2 }), hex('80030001 0100000c 00000001 00000000 4000 aabb'));
  assert.deepEqual(encodeSynReply(2, hex('cc')), hex('80030002 00000005 00000002 cc'));
});

test('the parser reads hand-built frames, split at every byte or run together', () => {
  const wire = Buffer.concat([
    hex('00000003 00000002 6869'), // data "hi" on stream 3
    hex('00000003 01000000'), // FIN
    hex('80030001 0200000e 00000005 00000001 e000 11223344'), // SYN_STREAM, unidirectional, associated 1, priority 7
    hex('80030003 00000008 00000005 00000007'),
    hex('80030004 01000014 00000002 01000007 00000010 00000004 00000064'),
    hex('80030006 00000004 00000001'),
    hex('80030007 00000008 00000009 00000001'),
    hex('80030009 00000008 00000005 00000100'),
    hex('8003000a 00000002 abcd'), // a type this version does not know
  ]);
  const expected: SpdyFrame[] = [
    { type: 'data', streamId: 3, fin: false, data: Buffer.from('hi') },
    { type: 'data', streamId: 3, fin: true, data: Buffer.alloc(0) },
    { type: 'syn_stream', streamId: 5, associatedId: 1, priority: 7, fin: false, unidirectional: true, headerBlock: hex('11223344') },
    { type: 'rst_stream', streamId: 5, status: 7 },
    { type: 'settings', clear: true, entries: [{ flags: 1, id: 7, value: 16 }, { flags: 0, id: 4, value: 100 }] },
    { type: 'ping', id: 1 },
    { type: 'goaway', lastGoodStreamId: 9, status: 1 },
    { type: 'window_update', streamId: 5, delta: 256 },
    { type: 'unknown', controlType: 10 },
  ];
  assert.deepEqual(new FrameParser(1024).push(wire), expected);
  const parser = new FrameParser(1024);
  const oneByOne = [...wire].flatMap((byte) => parser.push(Buffer.from([byte])));
  assert.deepEqual(oneByOne, expected);
});

test('the parser refuses a frame larger than its limit, another SPDY version, and malformed control frames', () => {
  assert.throws(() => new FrameParser(16).push(hex('00000001 00000011')), SpdyProtocolError);
  assert.throws(() => new FrameParser(64).push(hex('80020006 00000004 00000001')), /SPDY version 2/);
  assert.throws(() => new FrameParser(64).push(hex('80030006 00000003 000001')), /PING frame of 3 bytes/);
  assert.throws(() => new FrameParser(64).push(hex('00000000 00000000')), /data frame on stream 0/);
  assert.throws(() => new FrameParser(64).push(hex('80030001 0000000a 00000000 00000000 0000')), /SYN_STREAM on stream 0/);
});

test('header blocks compressed as Go does are read in one shared context, block after block', async () => {
  const compress = goStyleCompressor();
  const decompressor = new HeaderDecompressor();
  try {
    assert.deepEqual(await decompressor.decompress(await compress({ streamtype: 'error' })), { streamtype: 'error' });
    assert.deepEqual(await decompressor.decompress(await compress({ streamtype: 'stdin', port: '8080', requestid: '0' })), {
      streamtype: 'stdin',
      port: '8080',
      requestid: '0',
    });
    const big = 'x'.repeat(40_000);
    assert.deepEqual(await decompressor.decompress(await compress({ big })), { big });
  } finally {
    decompressor.close();
  }
});

test('our header blocks inflate with any zlib given the dictionary, and refuse what is not lower case', () => {
  const compressor = new HeaderCompressor();
  const first = compressor.compress({ streamtype: 'data', port: '80' });
  const second = compressor.compress({ 'x-stream-protocol-version': 'v4.channel.k8s.io' });
  const raw = inflateSync(Buffer.concat([first, second]), { dictionary: HEADER_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
  const expected = Buffer.concat([
    u32(2), u32(10), Buffer.from('streamtype'), u32(4), Buffer.from('data'), u32(4), Buffer.from('port'), u32(2), Buffer.from('80'),
    u32(1), u32(25), Buffer.from('x-stream-protocol-version'), u32(17), Buffer.from('v4.channel.k8s.io'),
  ]);
  assert.deepEqual(raw, expected);
  assert.throws(() => compressor.compress({ Port: '1' }), /lower case/);
});

/** A connected pair of TCP sockets on loopback, destroyed when the test ends. */
async function socketPair(t: TestContext): Promise<[Socket, Socket]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [serverSide] = await accepted;
  await once(client, 'connect');
  server.close();
  t.after(() => {
    client.destroy();
    serverSide.destroy();
  });
  return [client, serverSide];
}

async function readAll(stream: SpdyStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('a client and a server session open, reply, echo a megabyte both ways, half-close and forget their streams', async (t) => {
  const [a, b] = await socketPair(t);
  const seen: Record<string, string>[] = [];
  const server = new SpdySession(b, {
    role: 'server',
    onStream: (stream) => {
      seen.push({ ...stream.headers });
      stream.reply({ ok: 'yes' });
      stream.pipe(stream);
    },
  });
  const client = new SpdySession(a, { role: 'client' });
  const stream = await client.openStream({ streamtype: 'data', port: '80' });
  assert.deepEqual(await stream.replied, { ok: 'yes' });
  const payload = Buffer.alloc(1024 * 1024, 7);
  payload.write('start');
  const echoed = readAll(stream);
  stream.end(payload);
  assert.deepEqual(await echoed, payload);
  assert.deepEqual(seen, [{ streamtype: 'data', port: '80' }]);
  await client.ping();
  assert.equal(client.openStreams, 0);
  assert.equal(server.openStreams, 0);
  client.goAway();
  server.goAway();
  await Promise.all([client.closed, server.closed]);
});

test('a reset reaches the other side as the end of its stream, with the status', async (t) => {
  const [a, b] = await socketPair(t);
  const opened: SpdyStream[] = [];
  new SpdySession(b, { role: 'server', onStream: (s) => (s.reply(), opened.push(s)) });
  const client = new SpdySession(a, { role: 'client' });
  const stream = await client.openStream({ streamtype: 'stdin' });
  stream.reset(5);
  const serverStream = opened[0]!;
  if (!serverStream.destroyed) await once(serverStream, 'close');
  assert.equal(serverStream.resetStatus, 5);
});

test('a peer that never sends WINDOW_UPDATE (Go spdystream) still gets everything written past 64 KiB', async (t) => {
  const [peer, ours] = await socketPair(t);
  const session = new SpdySession(ours, { role: 'client' });
  const opening = session.openStream({ streamtype: 'stdout' });
  const received: SpdyFrame[] = [];
  const parser = new FrameParser(1 << 20);
  peer.on('data', (c: Buffer) => received.push(...parser.push(c)));
  await until(() => received.some((f) => f.type === 'syn_stream'));
  peer.write(encodeSynReply(1, new HeaderCompressor().compress({})));
  const stream = await opening;
  stream.end(Buffer.alloc(300_000, 1));
  await until(() => received.some((f) => f.type === 'data' && f.fin));
  const bytes = received.reduce((n, f) => n + (f.type === 'data' ? f.data.length : 0), 0);
  assert.equal(bytes, 300_000);
});

test('a peer that never keeps windows (Go spdystream) is sent no WINDOW_UPDATE: unread, it would make the peer close with a TCP reset that loses our last frames', async (t) => {
  const [peer, ours] = await socketPair(t);
  const session = new SpdySession(ours, { role: 'client' });
  const received: SpdyFrame[] = [];
  const parser = new FrameParser(1 << 20);
  peer.on('data', (c: Buffer) => received.push(...parser.push(c)));
  const opening = session.openStream({ streamtype: 'stdout' });
  await until(() => received.some((f) => f.type === 'syn_stream'));
  peer.write(encodeSynReply(1, new HeaderCompressor().compress({})));
  const stream = await opening;
  const reading = readAll(stream);
  for (let i = 0; i < 10; i++) peer.write(encodeData(1, Buffer.alloc(30_000, i), i === 9));
  assert.equal((await reading).length, 300_000);
  peer.write(encodePing(2));
  await until(() => received.some((f) => f.type === 'ping' && f.id === 2));
  assert.deepEqual(received.filter((f) => f.type === 'window_update'), []);
});

test('a peer that keeps windows is never sent more than it allowed, and more once it gives bytes back', async (t) => {
  const [peer, ours] = await socketPair(t);
  const session = new SpdySession(ours, { role: 'client' });
  const received: SpdyFrame[] = [];
  const parser = new FrameParser(1 << 20);
  peer.on('data', (c: Buffer) => received.push(...parser.push(c)));
  peer.write(Buffer.concat([encodeSettings([{ flags: 0, id: 7, value: 1000 }]), encodePing(2)]));
  // Frames are handled in order: once the PING is echoed, the SETTINGS is in force.
  await until(() => received.some((f) => f.type === 'ping' && f.id === 2));
  const opening = session.openStream({ streamtype: 'stdout' });
  await until(() => received.some((f) => f.type === 'syn_stream'));
  peer.write(encodeSynReply(1, new HeaderCompressor().compress({})));
  const stream = await opening;
  stream.write(Buffer.alloc(5000, 2));
  const dataBytes = () => received.reduce((n, f) => n + (f.type === 'data' ? f.data.length : 0), 0);
  await until(() => dataBytes() === 1000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(dataBytes(), 1000);
  peer.write(encodeWindowUpdate(1, 1500));
  await until(() => dataBytes() === 2500);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(dataBytes(), 2500);
});

test('a reader that does not read stops the socket: the writer is held back instead of buffering it all', async (t) => {
  const [a, b] = await socketPair(t);
  const opened: SpdyStream[] = [];
  new SpdySession(b, { role: 'server', onStream: (s) => (s.reply(), opened.push(s)) });
  const client = new SpdySession(a, { role: 'client' });
  const stream = await client.openStream({ streamtype: 'stdin' });
  const chunk = Buffer.alloc(64 * 1024, 3);
  let written = 0;
  // Write until the session says stop, 64 MiB at most.
  while (written < 64 * 1024 * 1024) {
    written += chunk.length;
    if (!stream.write(chunk)) {
      const drained = await Promise.race([once(stream, 'drain').then(() => true), new Promise((r) => setTimeout(() => r(false), 300))]);
      if (!drained) break;
    }
  }
  assert.ok(written < 32 * 1024 * 1024, `the writer went on to ${written} bytes`);
  const reader = opened[0]!;
  assert.ok(reader.readableLength <= 128 * 1024, `the reader holds ${reader.readableLength} bytes`);
  // Reading again lets everything through.
  stream.end();
  const all = await readAll(reader);
  assert.ok(all.length >= written - chunk.length);
});

test('a protocol error from the peer ends the session with GOAWAY', async (t) => {
  const [peer, ours] = await socketPair(t);
  const session = new SpdySession(ours, { role: 'server', onStream: () => undefined });
  const received: SpdyFrame[] = [];
  const parser = new FrameParser(1 << 20);
  peer.on('data', (c: Buffer) => received.push(...parser.push(c)));
  peer.write(hex('80020001 0000000a 00000001 00000000 0000'));
  await session.closed;
  await until(() => received.length > 0);
  assert.deepEqual(received, [{ type: 'goaway', lastGoodStreamId: 0, status: 1 }]);
});

test('a peer opening a stream with a server id or a stream id going backwards is reset; a refused session resets them all', async (t) => {
  const [peer, ours] = await socketPair(t);
  new SpdySession(ours, { role: 'server' });
  const received: SpdyFrame[] = [];
  const parser = new FrameParser(1 << 20);
  peer.on('data', (c: Buffer) => received.push(...parser.push(c)));
  const compressor = new HeaderCompressor();
  peer.write(encodeSynStream(2, compressor.compress({ a: '1' })));
  peer.write(encodeSynStream(3, compressor.compress({ a: '2' })));
  await until(() => received.length === 2);
  assert.deepEqual(received, [
    { type: 'rst_stream', streamId: 2, status: 1 },
    { type: 'rst_stream', streamId: 3, status: 3 },
  ]);
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('what the peer sent before it reset a stream is still read, by a reader that was not reading', async (t) => {
  const [peer, ours] = await socketPair(t);
  const opened: SpdyStream[] = [];
  new SpdySession(ours, { role: 'server', onStream: (s) => (s.reply(), opened.push(s)) });
  const compressor = new HeaderCompressor();
  peer.write(encodeSynStream(1, compressor.compress({ streamtype: 'stdout' })));
  await until(() => opened.length === 1);
  const stream = opened[0]!;
  stream.pause();
  const sent = Buffer.alloc(20_000, 4);
  peer.write(Buffer.concat([encodeData(1, sent, false), encodeRstStream(1, 5)]));
  await until(() => stream.resetStatus === 5);
  assert.deepEqual(await readAll(stream), sent);
  assert.ok(stream.destroyed);
});

test('a peer that writes its last frames and closes at once: a reader that was behind still gets them, then the end', async (t) => {
  const [peer, ours] = await socketPair(t);
  const opened: SpdyStream[] = [];
  new SpdySession(ours, { role: 'server', onStream: (s) => (s.reply(), opened.push(s)) });
  const compressor = new HeaderCompressor();
  peer.write(Buffer.concat([encodeSynStream(1, compressor.compress({ streamtype: 'stdout' })), encodeSynStream(3, compressor.compress({ streamtype: 'error' }))]));
  await until(() => opened.length === 2);
  const [stdout, error] = opened as [SpdyStream, SpdyStream];
  stdout.pause();
  const gotError = readAll(error);
  // As containerd ends an exec: output, its end, the status, resets, GOAWAY, and the connection closed.
  // Small enough to arrive in one read with the end of the connection, larger than the reader takes before it is full.
  const output = Buffer.alloc(48_000, 6);
  const frames: Buffer[] = [];
  for (let at = 0; at < output.length; at += 8_000) frames.push(encodeData(1, output.subarray(at, at + 8_000), false));
  frames.push(encodeData(1, Buffer.alloc(0), true), encodeData(3, Buffer.from('{"status":"Success"}'), false), encodeRstStream(3, 5), encodeRstStream(1, 5), encodeGoAway(3, 0));
  peer.end(Buffer.concat(frames));
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await readAll(stdout), output);
  assert.equal((await gotError).toString(), '{"status":"Success"}');
});
