// A port-forward stream as a byte connection (server/streams/pod-http.ts),
// over a fake PodStream: bytes both ways, the half-close, the node's error
// text, and destruction reaching the stream.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { ERROR, type Frame, STDIN, STDOUT } from '../../common/pod-streams.js';
import { PodConnectionError, podConnection } from '../../server/streams/pod-http.js';

/** A PodStream whose written frames are kept; `from` pushes what the node sends. */
function fakeStream() {
  const written: Frame[] = [];
  const stream = new Duplex({
    objectMode: true,
    allowHalfOpen: true,
    read: () => undefined,
    write: (f: Frame, _e, cb) => {
      written.push(f);
      cb();
    },
  });
  return { stream, written, from: (frame: Frame | null) => stream.push(frame) };
}

const bytes = (channel: number, text: string): Frame => ({ channel, data: Buffer.from(text) });

test('bytes go in on STDIN and come out of STDOUT; the end half-closes; the node\'s end ends the connection', async () => {
  const { stream, written, from } = fakeStream();
  const connection = podConnection(stream);
  const read: string[] = [];
  connection.on('data', (d: Buffer) => read.push(d.toString()));
  connection.write('GET / HTTP/1.1\r\n\r\n');
  from(bytes(STDOUT, 'HTTP/1.1 200 OK\r\n'));
  from(bytes(STDOUT, '\r\n'));
  connection.end();
  from(null);
  await once(connection, 'end');
  assert.deepEqual(read, ['HTTP/1.1 200 OK\r\n', '\r\n']);
  assert.deepEqual(
    written.map((f) => [f.channel, f.data.toString(), f.end === true]),
    [
      [STDIN, 'GET / HTTP/1.1\r\n\r\n', false],
      [STDIN, '', true],
    ],
  );
});

test("the node's ERROR text fails the connection when the stream ends; destroying the connection destroys the stream", async () => {
  const { stream, from } = fakeStream();
  const connection = podConnection(stream);
  connection.resume();
  from(bytes(ERROR, 'failed to connect to localhost:8081: connection refused '));
  from(null);
  const [err] = (await once(connection, 'error')) as [Error];
  assert.ok(err instanceof PodConnectionError);
  assert.equal(err.message, 'failed to connect to localhost:8081: connection refused');

  const second = fakeStream();
  const other = podConnection(second.stream);
  other.destroy();
  await once(second.stream, 'close');
  assert.equal(second.stream.destroyed, true);

  // A stream that breaks before its end takes the connection with it.
  const third = fakeStream();
  const broken = podConnection(third.stream);
  const failure = new Promise<Error>((resolve) => broken.once('error', resolve));
  third.stream.destroy(new Error("the node's stream broke"));
  assert.equal((await failure).message, "the node's stream broke");
  assert.equal(broken.destroyed, true);
});
