// A SPDY/3.1 session over one byte stream, in either role: the API server
// answering kubectl (which opens the streams), or a client opening streams
// to a node's stream server. Each stream is a Duplex of bytes.
//
// Flow control: kubectl, client-go and containerd speak SPDY through Go's
// spdystream, which never sends WINDOW_UPDATE and ignores it, relying on
// TCP alone. So this session keeps windows (gives bytes back, holds its
// writes to the peer's windows) only once the peer shows it keeps them (a
// WINDOW_UPDATE or an initial window in SETTINGS); otherwise the socket's
// own backpressure paces writes. A WINDOW_UPDATE sent to spdystream is
// never read: containerd closing its side with it unread makes the kernel
// reset the connection, and our last frames not yet read (an exec's
// status) were lost with it (kubectl cp failed 6 times in 40). A
// reader that does not keep up pauses the whole socket (as spdystream
// does): nothing is buffered past one frame per stream.
import { Duplex } from 'node:stream';
import {
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  FrameParser,
  GOAWAY,
  RST,
  SETTINGS_INITIAL_WINDOW_SIZE,
  type SpdyFrame,
  SpdyProtocolError,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from './header-block.js';

export interface SpdySessionOptions {
  /** The client opens odd stream ids and sends odd pings; the server even ones. */
  readonly role: 'client' | 'server';
  /** Streams the peer opens; without it every one is refused. Reply (stream.reply()) before writing. */
  readonly onStream?: (stream: SpdyStream) => void;
  /** The largest frame accepted (default 1 MiB); larger is a protocol error. */
  readonly maxFrameLength?: number;
}

const DEFAULT_WINDOW = 64 * 1024;
const MAX_DATA_FRAME = 32 * 1024;
/** Bytes read before a WINDOW_UPDATE gives them back (half the default window, as HTTP/2 clients do). */
const ACK_THRESHOLD = DEFAULT_WINDOW / 2;
/** Frames parsed but not yet handled before the socket is paused. */
const MAX_QUEUED_FRAMES = 64;
/** How long close() waits for the peer to close its side before dropping the connection. */
const CLOSE_GRACE_MS = 5000;

export class SpdySession {
  /** Resolves once the underlying connection is closed. */
  readonly closed: Promise<void>;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly parser: FrameParser;
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly queue: SpdyFrame[] = [];
  private processing = false;
  /** What waits for the queue to empty: the peer's end, the connection's close. */
  private afterQueued: (() => void)[] = [];
  private tornDown = false;
  /** A stream whose reader is full: nothing more is handled until it reads. */
  private blockedBy: SpdyStream | undefined;
  private nextStreamId: number;
  private nextPingId: number;
  private lastPeerStreamId = 0;
  private readonly pings = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private goneAway = false;
  private peerGoneAway = false;
  private ended = false;
  private peerKeepsWindows = false;
  private initialSendWindow = DEFAULT_WINDOW;
  private sendWindow = DEFAULT_WINDOW;
  private unacked = 0;
  private drainWaiters: (() => void)[] = [];
  private windowWaiters: (() => void)[] = [];
  private markClosed!: () => void;

  constructor(
    private readonly socket: Duplex,
    private readonly opts: SpdySessionOptions,
  ) {
    this.parser = new FrameParser(opts.maxFrameLength ?? 1024 * 1024);
    this.nextStreamId = opts.role === 'client' ? 1 : 2;
    this.nextPingId = opts.role === 'client' ? 1 : 2;
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.wake('drain'));
    socket.on('error', () => undefined); // 'close' follows and tears everything down
    // Both only once the frames that came before are handled: a peer that writes its
    // last frames and closes at once (a Kubernetes stream server) must not lose them
    // to a reader that was behind.
    socket.on('end', () =>
      this.afterQueue(() => {
        // The peer will send nothing more (as spdystream, every stream's reader sees its end); the session is over once our side is done too.
        this.peerGoneAway = true;
        for (const stream of [...this.streams.values()]) stream.onRemoteEnd();
        this.endIfIdle();
      }),
    );
    socket.on('close', () => this.afterQueue(() => this.teardown()));
    // A socket handed over by an HTTP upgrade may have been left paused.
    socket.resume();
  }

  /** Opens a stream; resolves once the peer replies (SYN_REPLY), rejects if it resets it or the session ends. */
  openStream(headers: SpdyHeaders, opts: { fin?: boolean } = {}): Promise<SpdyStream> {
    if (this.goneAway || this.peerGoneAway || this.socket.destroyed) return Promise.reject(new Error('the SPDY session is closing'));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers, true);
    stream.sendWindow = this.initialSendWindow;
    this.streams.set(id, stream);
    if (opts.fin === true) stream.markLocalEnded();
    this.write(encodeSynStream(id, this.compressor.compress(headers), { fin: opts.fin === true }));
    return stream.replied.then(() => stream);
  }

  /** Round trip to the peer; rejects when the session closes first. */
  ping(): Promise<void> {
    const id = this.nextPingId;
    this.nextPingId += 2;
    return new Promise((resolve, reject) => {
      this.pings.set(id, { resolve, reject });
      this.write(encodePing(id));
    });
  }

  /** No new streams from the peer; the connection ends once every open stream is done. */
  goAway(): void {
    if (this.goneAway || this.socket.destroyed) return;
    this.goneAway = true;
    this.write(encodeGoAway(this.lastPeerStreamId, GOAWAY.ok));
    this.endIfIdle();
  }

  /**
   * Ends the session now, as a Kubernetes stream server does when its work is
   * done: what was written goes out first, then every unfinished stream is
   * reset, GOAWAY, and the connection ends.
   */
  close(): void {
    if (this.socket.destroyed) return;
    for (const stream of [...this.streams.values()]) stream.reset(RST.cancel);
    this.goAway();
    this.endIfIdle();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Streams open now (for tests and limits). */
  get openStreams(): number {
    return this.streams.size;
  }

  // ---- used by SpdyStream ----

  /** @internal */
  sendReply(stream: SpdyStream, headers: SpdyHeaders, fin: boolean): void {
    this.write(encodeSynReply(stream.id, this.compressor.compress(headers), fin));
  }

  /** @internal Writes data, honouring the peer's windows when it keeps them and the socket's backpressure; `done` when it may write more. */
  sendData(stream: SpdyStream, data: Buffer, done: (err?: Error | null) => void): void {
    let rest = data;
    const step = (): void => {
      // A stream reset or a connection gone is torn down by the session (its 'close' tells the writer).
      if (this.socket.destroyed || stream.destroyed) return done();
      let more = true;
      while (rest.length > 0) {
        const allowed = this.peerKeepsWindows ? Math.min(MAX_DATA_FRAME, this.sendWindow, stream.sendWindow) : MAX_DATA_FRAME;
        if (allowed <= 0) {
          this.windowWaiters.push(step);
          return;
        }
        const piece = rest.subarray(0, allowed);
        rest = rest.subarray(piece.length);
        this.sendWindow -= piece.length;
        stream.sendWindow -= piece.length;
        more = this.write(encodeData(stream.id, piece, false));
      }
      if (more) done();
      else this.drainWaiters.push(() => done());
    };
    step();
  }

  /** @internal */
  sendFin(stream: SpdyStream): void {
    this.write(encodeData(stream.id, Buffer.alloc(0), true));
    this.endIfIdle();
  }

  /** @internal */
  sendReset(stream: SpdyStream, status: number): void {
    this.write(encodeRstStream(stream.id, status));
  }

  /** @internal The stream's reader wants more: give back what it consumed, and go on if it was the one holding things up. */
  readMore(stream: SpdyStream): void {
    this.acknowledge(stream, false);
    if (this.blockedBy === stream) {
      this.blockedBy = undefined;
      this.socket.resume();
      void this.process();
    }
  }

  /** @internal */
  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    if (this.blockedBy === stream) this.readMore(stream);
    this.endIfIdle();
  }

  // ---- receiving ----

  private receive(chunk: Buffer): void {
    let frames: SpdyFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      return this.protocolError(err);
    }
    this.queue.push(...frames);
    if (this.queue.length > MAX_QUEUED_FRAMES) this.socket.pause();
    void this.process();
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0 && this.blockedBy === undefined && !this.tornDown) {
        await this.handle(this.queue.shift()!);
      }
      if (this.queue.length === 0) for (const step of this.afterQueued.splice(0)) step();
      if (this.blockedBy === undefined && this.queue.length <= MAX_QUEUED_FRAMES && !this.socket.destroyed) this.socket.resume();
    } catch (err) {
      this.protocolError(err);
    } finally {
      this.processing = false;
    }
  }

  private async handle(frame: SpdyFrame): Promise<void> {
    switch (frame.type) {
      case 'data':
        return this.onData(frame.streamId, frame.data, frame.fin);
      case 'syn_stream': {
        const headers = await this.decompressor.decompress(frame.headerBlock);
        return this.onSynStream(frame.streamId, headers, frame.fin, frame.unidirectional);
      }
      case 'syn_reply': {
        const headers = await this.decompressor.decompress(frame.headerBlock);
        const stream = this.streams.get(frame.streamId);
        if (stream === undefined || !stream.local) return;
        stream.onReply(headers);
        if (frame.fin) stream.onRemoteEnd();
        return;
      }
      case 'headers': {
        // Decompressed even when unused: the zlib context is shared by every block of the session.
        await this.decompressor.decompress(frame.headerBlock);
        if (frame.fin) this.streams.get(frame.streamId)?.onRemoteEnd();
        return;
      }
      case 'rst_stream':
        this.streams.get(frame.streamId)?.onReset(frame.status);
        return;
      case 'settings':
        for (const entry of frame.entries) {
          if (entry.id !== SETTINGS_INITIAL_WINDOW_SIZE) continue;
          const delta = entry.value - this.initialSendWindow;
          this.initialSendWindow = entry.value;
          this.peerKeepsWindows = true;
          for (const stream of this.streams.values()) stream.sendWindow += delta;
        }
        this.wake('window');
        return;
      case 'ping': {
        const ours = frame.id % 2 === (this.opts.role === 'client' ? 1 : 0);
        if (!ours) this.write(encodePing(frame.id));
        else this.pings.get(frame.id)?.resolve();
        this.pings.delete(frame.id);
        return;
      }
      case 'goaway':
        this.peerGoneAway = true;
        for (const stream of [...this.streams.values()]) {
          if (stream.local && stream.id > frame.lastGoodStreamId) stream.onReset(RST.refusedStream);
        }
        this.endIfIdle();
        return;
      case 'window_update':
        this.peerKeepsWindows = true;
        if (frame.streamId === 0) this.sendWindow += frame.delta;
        else {
          const stream = this.streams.get(frame.streamId);
          if (stream !== undefined) stream.sendWindow += frame.delta;
        }
        this.wake('window');
        return;
      case 'unknown':
        return;
    }
  }

  private onSynStream(id: number, headers: SpdyHeaders, fin: boolean, unidirectional: boolean): void {
    const peerParity = this.opts.role === 'server' ? 1 : 0;
    if (id % 2 !== peerParity || id <= this.lastPeerStreamId) {
      this.write(encodeRstStream(id, RST.protocolError));
      return;
    }
    this.lastPeerStreamId = id;
    if (this.goneAway || this.opts.onStream === undefined) {
      this.write(encodeRstStream(id, RST.refusedStream));
      return;
    }
    const stream = new SpdyStream(this, id, headers, false);
    stream.sendWindow = this.initialSendWindow;
    this.streams.set(id, stream);
    if (unidirectional) stream.markLocalEnded();
    if (fin) stream.onRemoteEnd();
    this.opts.onStream(stream);
  }

  private onData(id: number, data: Buffer, fin: boolean): void {
    const stream = this.streams.get(id);
    if (stream === undefined || stream.remoteEnded) {
      // Late data after a reset or FIN: the peer is told, and the session's window still gets its bytes back.
      this.unacked += data.length;
      if (stream === undefined) this.write(encodeRstStream(id, RST.invalidStream));
      this.acknowledgeSession();
      return;
    }
    if (data.length > 0) {
      this.unacked += data.length;
      stream.unacked += data.length;
      if (stream.push(data)) this.acknowledge(stream, false);
      else {
        this.blockedBy = stream;
        this.socket.pause();
      }
    }
    if (fin) stream.onRemoteEnd();
  }

  private acknowledge(stream: SpdyStream, force: boolean): void {
    // Bytes are given back only to a peer that keeps windows (see the top).
    if (!this.peerKeepsWindows) return;
    if (stream.unacked > 0 && (force || stream.unacked >= ACK_THRESHOLD) && !stream.remoteEnded) {
      this.write(encodeWindowUpdate(stream.id, stream.unacked));
      stream.unacked = 0;
    }
    this.acknowledgeSession();
  }

  private acknowledgeSession(): void {
    if (!this.peerKeepsWindows) return;
    if (this.unacked >= ACK_THRESHOLD) {
      this.write(encodeWindowUpdate(0, this.unacked));
      this.unacked = 0;
    }
  }

  // ---- the connection ----

  private write(frame: Buffer): boolean {
    if (this.socket.destroyed || this.ended) return false;
    return this.socket.write(frame);
  }

  private wake(what: 'drain' | 'window'): void {
    const waiters = what === 'drain' ? this.drainWaiters : this.windowWaiters;
    if (what === 'drain') this.drainWaiters = [];
    else this.windowWaiters = [];
    for (const wake of waiters) wake();
  }

  /** After GOAWAY (either way), the connection ends once no stream is left. */
  private endIfIdle(): void {
    if (this.ended || this.streams.size > 0 || !(this.goneAway || this.peerGoneAway) || this.socket.destroyed) return;
    this.ended = true;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  private protocolError(err: unknown): void {
    // Nothing more of this peer is handled.
    this.queue.length = 0;
    if (!(err instanceof SpdyProtocolError)) {
      this.socket.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.write(encodeGoAway(this.lastPeerStreamId, GOAWAY.protocolError));
    this.goneAway = true;
    this.socket.end();
    this.socket.destroy();
  }

  /** Runs `step` once every frame received so far is handled (now, if none waits). */
  private afterQueue(step: () => void): void {
    if (this.queue.length === 0 && !this.processing) return step();
    this.afterQueued.push(step);
  }

  private teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.queue.length = 0;
    this.decompressor.close();
    for (const stream of [...this.streams.values()]) stream.onReset(RST.cancel);
    this.streams.clear();
    for (const ping of this.pings.values()) ping.reject(new Error('the SPDY session closed'));
    this.pings.clear();
    this.wake('drain');
    this.wake('window');
    this.markClosed();
  }
}

/**
 * One stream of a session: write to send DATA (end() sends FIN), read what
 * the peer sends. destroy() before both sides finished resets it.
 */
export class SpdyStream extends Duplex {
  /** Resolves with the peer's SYN_REPLY headers (streams this side opened). */
  readonly replied: Promise<SpdyHeaders>;
  /** The status of a RST_STREAM that ended it, if one did. */
  resetStatus: number | undefined;
  /** @internal */ sendWindow = DEFAULT_WINDOW;
  /** @internal */ unacked = 0;
  /** @internal */ remoteEnded = false;
  private localEnded = false;
  private repliedLocally = false;
  private settleReply!: { resolve: (h: SpdyHeaders) => void; reject: (err: Error) => void };

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    /** The headers of its SYN_STREAM. */
    readonly headers: SpdyHeaders,
    /** Opened by this side. */
    readonly local: boolean,
  ) {
    super({ allowHalfOpen: true, highWaterMark: MAX_DATA_FRAME });
    this.replied = new Promise((resolve, reject) => (this.settleReply = { resolve, reject }));
    this.replied.catch(() => undefined);
  }

  /** Answers a stream the peer opened (SYN_REPLY); writing does it too if not done yet. */
  reply(headers: SpdyHeaders = {}): void {
    if (this.local || this.repliedLocally || this.destroyed) return;
    this.repliedLocally = true;
    this.session.sendReply(this, headers, false);
  }

  /** Ends the stream at once, telling the peer (RST_STREAM). */
  reset(status: number = RST.cancel): void {
    if (this.destroyed) return;
    if (!(this.localEnded && this.remoteEnded)) this.session.sendReset(this, status);
    this.resetStatus = status;
    this.localEnded = this.remoteEnded = true;
    this.destroy();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    // Reset by the peer while its last data is still being read: nothing more goes out.
    if (this.resetStatus !== undefined) return callback();
    this.reply();
    this.session.sendData(this, chunk, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.localEnded) {
      this.reply();
      this.localEnded = true;
      this.session.sendFin(this);
    }
    this.checkDone();
    callback();
  }

  override _read(): void {
    this.session.readMore(this);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!(this.localEnded && this.remoteEnded)) {
      this.session.sendReset(this, RST.cancel);
      this.localEnded = this.remoteEnded = true;
    }
    this.settleReply.reject(new Error('the SPDY stream was reset'));
    this.session.forget(this);
    callback(err);
  }

  /** @internal */
  markLocalEnded(): void {
    this.localEnded = true;
  }

  /** @internal */
  onReply(headers: SpdyHeaders): void {
    this.settleReply.resolve(headers);
  }

  /** @internal */
  onRemoteEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.push(null);
    this.checkDone();
  }

  /**
   * @internal The peer reset it (or the session ended): no RST back. What it
   * sent before is still read, as with spdystream (a Kubernetes stream server
   * resets its streams once it has written everything), then the stream goes.
   */
  onReset(status: number): void {
    if (this.destroyed) return;
    this.resetStatus = status;
    const finished = this.remoteEnded;
    this.localEnded = this.remoteEnded = true;
    this.settleReply.reject(new Error(`the SPDY stream was reset (status ${status})`));
    if (this.readableLength === 0) return void this.destroy();
    this.session.forget(this);
    if (!finished) this.push(null);
    this.once('end', () => this.destroy());
  }

  /** Both directions finished: the session forgets it (the Duplex itself ends as its reader and writer do). */
  private checkDone(): void {
    if (this.localEnded && this.remoteEnded) this.session.forget(this);
  }
}
