// The server's end of the agents' tunnels: PodStreams over the Tunnel RPC.
// open() asks the pod's node, on its Connect stream, to call Tunnel with a
// fresh session id; the call whose client certificate names that node (and
// only such a call) claims the session, then says whether the stream opened.
// From then on the call is the PodStream: frames both ways, with gRPC's flow
// control as the backpressure between the client and the node.
import { type ServerDuplexStream, status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { OpenStream, StreamFailure, TunnelFrame } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import { writeFrames } from '../../common/tunnel-frames.js';
import { ApiError } from '../api/status.js';
import type { Frame, PodStream, PodStreamRequest, PodStreams } from '../../common/pod-streams.js';
import { callerNode } from './agent-session.js';
import { toWireRequest } from './tunnel-request.js';

export type TunnelCall = ServerDuplexStream<TunnelFrame, Partial<TunnelFrame>>;

export interface PodTunnelsOptions {
  /** Sends an OpenStream on the node's Connect stream; false when the node is not connected. */
  readonly ask: (node: string, open: OpenStream) => boolean;
  /** How long the node has to call back and open the stream; default 10 s. */
  readonly openTimeoutMs?: number;
  readonly log: Logger;
}

interface Pending {
  readonly node: string;
  readonly resolve: (stream: PodStream) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
  /** The call that claimed the session, until it says opened or failed. */
  call?: TunnelCall;
}

const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

export class PodTunnels implements PodStreams {
  readonly #pending = new Map<string, Pending>();
  readonly #calls = new Set<TunnelCall>();
  readonly #timeoutMs: number;

  constructor(private readonly opts: PodTunnelsOptions) {
    this.#timeoutMs = opts.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  }

  open(request: PodStreamRequest): Promise<PodStream> {
    const node = request.pod.nodeName;
    const sessionId = randomBytes(18).toString('base64url');
    return new Promise<PodStream>((resolve, reject) => {
      const timer = setTimeout(() => {
        const pending = this.#pending.get(sessionId);
        this.#pending.delete(sessionId);
        pending?.call?.end();
        reject(dialError(`node "${node}" did not open the stream within ${this.#timeoutMs / 1000} s`));
      }, this.#timeoutMs);
      this.#pending.set(sessionId, { node, resolve, reject, timer });
      if (!this.opts.ask(node, { sessionId, request: toWireRequest(request) })) {
        clearTimeout(timer);
        this.#pending.delete(sessionId);
        reject(dialError(`node "${node}" is not connected to the server`));
      }
    });
  }

  /** One Tunnel call from an agent. */
  serve(call: TunnelCall): void {
    const node = callerNode(call);
    if (node === undefined) return refuse(call, status.UNAUTHENTICATED, 'Tunnel needs a node certificate from the cluster CA');
    this.#calls.add(call);
    call.once('close', () => this.#calls.delete(call));
    call.on('error', () => undefined);
    let pending: Pending | undefined;
    let sessionId = '';
    // A call that never names its session is not kept.
    const unnamed = setTimeout(() => refuse(call, status.DEADLINE_EXCEEDED, 'no session named'), this.#timeoutMs);
    const control = (frame: TunnelFrame) => {
      if (pending === undefined) {
        clearTimeout(unnamed);
        sessionId = frame.sessionId;
        const found = this.#pending.get(sessionId);
        if (found === undefined || found.call !== undefined) return refuse(call, status.NOT_FOUND, 'no such stream session (it may have timed out)');
        // Another node cannot take over this node's stream; the session stays for its own node.
        if (found.node !== node) {
          this.opts.log.warn('tunnel refused: the session is for another node', { node, sessionNode: found.node });
          return refuse(call, status.PERMISSION_DENIED, 'this stream session belongs to another node');
        }
        pending = found;
        pending.call = call;
      }
      if (frame.failure !== null) {
        this.#settle(sessionId, pending);
        call.end();
        pending.reject(failureError(frame.failure));
      } else if (frame.opened) {
        this.#settle(sessionId, pending);
        call.off('data', control);
        call.off('end', early);
        pending.resolve(new TunnelStream(call));
      }
    };
    const early = () => {
      clearTimeout(unnamed);
      if (pending === undefined) return call.end();
      this.#settle(sessionId, pending);
      call.end();
      pending.reject(dialError(`node "${node}" ended the stream before it opened`));
    };
    call.on('data', control);
    call.on('end', early);
  }

  /** Server shutdown: every open and pending stream ends. */
  close(): void {
    for (const [id, pending] of this.#pending) {
      this.#settle(id, pending);
      pending.reject(dialError('the server is shutting down'));
    }
    for (const call of this.#calls) call.end();
  }

  #settle(sessionId: string, pending: Pending): void {
    clearTimeout(pending.timer);
    this.#pending.delete(sessionId);
  }
}

/**
 * The opened call as a PodStream: what the node sends is read (the call
 * pauses while the reader is behind), what is written goes to the node
 * (the writer waits while gRPC's buffer is full). The node ending its side
 * ends the stream; destroying the stream ends the call, which cancels the
 * stream on the node.
 */
class TunnelStream extends Duplex {
  constructor(private readonly call: TunnelCall) {
    super({ objectMode: true, allowHalfOpen: true });
    call.on('data', (frame: TunnelFrame) => {
      const out: Frame = frame.end ? { channel: frame.channel, data: frame.data, end: true } : { channel: frame.channel, data: frame.data };
      if (!this.push(out)) call.pause();
    });
    let nodeDone = false;
    call.on('end', () => {
      nodeDone = true;
      this.push(null);
      // The node is done: nothing written from now on would be read.
      call.end();
    });
    // grpc-js reports every call as cancelled once it is over, also after its status went out:
    // after the node's end, frames not yet read stay readable.
    call.on('error', (err: Error) => {
      if (!nodeDone) this.destroy(new Error(`the node's stream broke: ${err.message}`));
    });
    call.on('cancelled', () => {
      if (!nodeDone) this.destroy(new Error("the node's stream was cancelled"));
    });
  }

  override _read(): void {
    this.call.resume();
  }

  override _write(frame: Frame, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    writeFrames(this.call, frame.channel, frame.data, frame.end === true, done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (!this.call.writableEnded && !this.call.destroyed) this.call.end();
    done(err);
  }
}

/** Upstream's wording when the apiserver cannot reach a kubelet (a Status with no reason: kubectl prints "Error from server: …"). */
function dialError(why: string): ApiError {
  return new ApiError(500, '', `error dialing backend: ${why}`);
}

function failureError(failure: StreamFailure): ApiError {
  const code = Number.isInteger(failure.code) && failure.code >= 400 && failure.code <= 599 ? failure.code : 500;
  return new ApiError(code, failure.reason, failure.message === '' ? 'the node could not open the stream' : failure.message);
}

function refuse(call: TunnelCall, code: status, details: string): void {
  if (!call.destroyed && !call.writableEnded) call.emit('error', { code, details });
}
