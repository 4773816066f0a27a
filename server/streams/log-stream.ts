// pods/log: the container's log from the node, as 200 text/plain sent in
// chunks as they come (kubelet writes its headers with the first bytes, so
// an error the node reports before any log is still a Status).
import type { ServerResponse } from 'node:http';
import { errors } from '../api/status.js';
import { pumpFromNode, writableSink } from './node-pump.js';
import { ERROR, type Frame, type LogOptions, type PodStream, type PodStreams, STDOUT } from '../../common/pod-streams.js';
import type { ContainerTarget } from './pod-target.js';

export async function serveLog(podStreams: PodStreams, target: ContainerTarget | undefined, options: LogOptions, res: ServerResponse): Promise<void> {
  // Upstream answers a pod not on a node yet with an empty log.
  if (target === undefined) return void startLog(res).end();
  const node = await podStreams.open({ kind: 'log', pod: target.pod, container: target.container, options });
  node.on('error', () => undefined);
  res.once('close', () => node.destroy());
  const first = await firstFrame(node);
  if (first?.channel === ERROR) {
    node.destroy();
    throw errors.badRequest(first.data.toString('utf8'));
  }
  startLog(res);
  if (first === undefined) return void res.end();
  const sink = writableSink(res);
  pumpFromNode(node, (frame: Frame) => (frame.channel === STDOUT ? sink : undefined));
  // 'data' flows from the next tick: the first frame goes out before it.
  node.resume();
  if (first.channel === STDOUT && first.data.length > 0 && !sink.write(first.data)) {
    node.pause();
    sink.onceDrained(() => node.resume());
  }
  await new Promise<void>((resolve) => {
    node.once('end', resolve);
    node.once('error', resolve);
    node.once('close', resolve);
  });
  res.end();
}

function startLog(res: ServerResponse): ServerResponse {
  // No content-length: chunked, each write goes out as it is made.
  res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  return res;
}

/** The node's first frame, or undefined when it ends with none. */
function firstFrame(node: PodStream): Promise<Frame | undefined> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      const frame = node.read() as Frame | null;
      if (frame === null) return;
      cleanup();
      resolve(frame);
    };
    const onEnd = () => (cleanup(), resolve(undefined));
    const onError = (err: Error) => (cleanup(), reject(errors.serviceUnavailable(`the log stream from the node failed: ${err.message}`)));
    const cleanup = () => {
      node.off('readable', onReadable);
      node.off('end', onEnd);
      node.off('error', onError);
      node.off('close', onEnd);
    };
    node.on('readable', onReadable);
    node.once('end', onEnd);
    node.once('error', onError);
    node.once('close', onEnd);
  });
}
