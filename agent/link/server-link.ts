// The agent's one connection to the server: a Connect stream over mutual TLS
// with the node's certificate. It says Hello, sends the node's status every
// interval, hands what the server says the node must hold to the desired
// state, carries its pods' statuses, events and final deletions, renews the certificate when a third of its life is left, and when
// the stream breaks (server restart, network gone) dials again with backoff
// and jitter until it is closed. Pod streams the server asks for are
// opened on the same connection (Tunnel calls).
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentMessage, Hello, MetricsReport, NodeStatus, OpenStream, PodDeletion, PodEventReport, PodStatusReport, ServerMessage } from '../../common/agent-protocol.js';
import { versionSkewError } from '../../common/agent-protocol.js';
import { certificateFacts, newKeyAndRequest } from '../../common/certificate-request.js';
import type { Logger } from '../../common/log.js';
import { nodeSubject } from '../../common/node-identity.js';
import { BRAMBLE_VERSION } from '../../common/version.js';
import type { DesiredState } from '../desired/desired-state.js';
import { type NodeCredentials, saveRenewal } from '../join/credentials.js';
import type { GrpcCall } from '../grpc/channel.js';
import type { GrpcError } from '../grpc/status.js';
import { AgentServiceClient } from './agent-client.js';
import { reconnectDelayMs } from './backoff.js';

/** A stream that stayed up this long was a success: the next failure starts the backoff over. */
const STABLE_MS = 30_000;
const WELCOME_TIMEOUT_MS = 15_000;

export interface ServerLinkOptions {
  readonly serverUrl: URL;
  /** The agent's data dir, where a renewed certificate is written. */
  readonly dir: string;
  readonly nodeName: string;
  readonly credentials: NodeCredentials;
  readonly hello: Omit<Hello, 'agentVersion'>;
  readonly collectStatus: () => Promise<NodeStatus>;
  readonly statusIntervalMs: number;
  readonly desired: DesiredState;
  /** Called each time a stream fails or cannot be opened (the node may then run from its cache). */
  readonly onUnreachable?: () => void;
  /** The server asks for a pod stream: answer with a Tunnel call on `client` (the stream's own connection). */
  readonly openStream?: (open: OpenStream, client: AgentServiceClient) => void;
  readonly log: Logger;
}

type Stream = GrpcCall<AgentMessage, ServerMessage>;

export class ServerLink {
  #credentials: NodeCredentials;
  /** The key of a renewal asked for ("asking" while its request is made). */
  #renewalKey: string | undefined;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  /** The stream the server has welcomed, while there is one. */
  #welcomed: Stream | undefined;

  constructor(private readonly opts: ServerLinkOptions) {
    this.#credentials = opts.credentials;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Sends a pod's status; false when there is no welcomed stream to send it on (the caller tries again later). */
  sendPodStatus(podStatus: PodStatusReport): boolean {
    return this.#send({ message: 'podStatus', podStatus });
  }

  /** Sends a pod event; false (and dropped) when there is no welcomed stream or it is backed up: events are worth no memory. */
  sendPodEvent(podEvent: PodEventReport): boolean {
    const stream = this.#welcomed;
    if (stream?.writableNeedDrain === true) return false;
    return this.#send({ message: 'podEvent', podEvent });
  }

  /** Asks the server to delete a pod that stopped after its deletion; false when there is no welcomed stream. */
  sendPodDeletion(podDeletion: PodDeletion): boolean {
    return this.#send({ message: 'podDeletion', podDeletion });
  }

  #send(message: AgentMessage): boolean {
    const stream = this.#welcomed;
    if (stream === undefined || stream.writableEnded || stream.destroyed) return false;
    stream.write(message);
    return true;
  }

  /** Sends the node's resource usage; false when there is no welcomed stream (the report is dropped). */
  sendMetrics(metrics: MetricsReport): boolean {
    const stream = this.#welcomed;
    if (stream === undefined || stream.writableEnded || stream.destroyed) return false;
    stream.write({ message: 'metrics', metrics });
    return true;
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    let attempt = 0;
    let failing = false;
    while (!this.#abort.signal.aborted) {
      const started = Date.now();
      try {
        await this.#session(() => {
          if (failing) this.opts.log.info('reconnected to the server', { server: this.opts.serverUrl.origin });
          failing = false;
        });
      } catch (err) {
        if (this.#abort.signal.aborted) break;
        this.opts.onUnreachable?.();
        // The first failure in a row is worth a warning; the retries that follow are not.
        if (!failing) this.opts.log.warn('lost the server; reconnecting', { server: this.opts.serverUrl.origin, error: (err as Error).message });
        else this.opts.log.debug('server still unreachable', { error: (err as Error).message });
        failing = true;
      }
      if (Date.now() - started > STABLE_MS) attempt = 0;
      await sleep(reconnectDelayMs(attempt++), undefined, { signal: this.#abort.signal }).catch(() => undefined);
    }
  }

  /** One stream, from dial to its end; resolves only when closed by this side. */
  async #session(onWelcome: () => void): Promise<void> {
    const { caPem, keyPem, certPem } = this.#credentials;
    const client = new AgentServiceClient(
      this.opts.serverUrl,
      { ca: caPem, key: keyPem, cert: certPem },
      {
        // A dead server (or network) is noticed within 20 s.
        keepaliveMs: 10_000,
        keepaliveTimeoutMs: 10_000,
        // The server sends objects in messages of about 1 MiB, and one Secret can be 1.5 MB on its own.
        maxReceiveBytes: 8 << 20,
      },
    );
    const stream = client.connect();
    const stop = () => stream.cancel();
    this.#abort.signal.addEventListener('abort', stop);
    let timer: NodeJS.Timeout | undefined;
    // A renewal asked on a stream that broke is asked again on the next one.
    this.#renewalKey = undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const welcomeTimer = setTimeout(() => reject(new Error(`no Welcome from the server within ${WELCOME_TIMEOUT_MS / 1000} s`)), WELCOME_TIMEOUT_MS);
        stream.on('data', (message: ServerMessage) => {
          if (message.message === 'welcome') {
            clearTimeout(welcomeTimer);
            const skew = versionSkewError(BRAMBLE_VERSION, 'agent', message.welcome.serverVersion, 'server');
            if (skew !== undefined) return reject(new Error(skew));
            onWelcome();
            this.#welcomed = stream;
            this.opts.desired.beginSnapshot();
            this.opts.log.info('connected to the server', { server: this.opts.serverUrl.origin, serverVersion: message.welcome.serverVersion });
            const tick = () => {
              void this.#report(stream);
              this.#maybeRenew(stream).catch((err: unknown) => this.opts.log.warn('could not ask for a new node certificate', { error: err }));
              timer = setTimeout(tick, this.opts.statusIntervalMs);
            };
            tick();
          } else if (message.message === 'objects') {
            try {
              this.opts.desired.apply(message.objects);
            } catch (err) {
              // Changed nothing; a new stream starts with a fresh snapshot.
              reject(err as Error);
            }
          } else if (message.message === 'openStream') {
            this.opts.openStream?.(message.openStream, client);
          } else if (message.message === 'renewedCertificatePem') {
            this.#renewed(message.renewedCertificatePem).catch((err: unknown) => this.opts.log.warn('could not keep the renewed node certificate', { error: err }));
          }
        });
        stream.on('error', (err: GrpcError) => {
          clearTimeout(welcomeTimer);
          if (this.#abort.signal.aborted) resolve();
          else reject(new Error(err.details || err.message));
        });
        stream.on('end', () => {
          clearTimeout(welcomeTimer);
          if (this.#abort.signal.aborted) resolve();
          else reject(new Error('the server ended the stream'));
        });
        stream.write({ message: 'hello', hello: { agentVersion: BRAMBLE_VERSION, ...this.opts.hello } });
      });
    } finally {
      this.#welcomed = undefined;
      clearTimeout(timer);
      this.#abort.signal.removeEventListener('abort', stop);
      stream.cancel();
      client.close();
    }
  }

  async #report(stream: Stream): Promise<void> {
    try {
      const status = await this.opts.collectStatus();
      if (!stream.writableEnded && !stream.destroyed) stream.write({ message: 'status', status });
    } catch (err) {
      this.opts.log.warn('could not collect node status', { error: err });
    }
  }

  /** Asks for a new certificate, with a new key, once a third of the current one's life is left. */
  async #maybeRenew(stream: Stream): Promise<void> {
    if (this.#renewalKey !== undefined) return;
    const { notBefore, notAfter } = certificateFacts(this.#credentials.certPem);
    if (notAfter.getTime() - Date.now() > (notAfter.getTime() - notBefore.getTime()) / 3) return;
    this.#renewalKey = 'asking';
    const { keyPem, csrPem } = await newKeyAndRequest(nodeSubject(this.opts.nodeName));
    this.#renewalKey = keyPem;
    this.opts.log.info('asking for a new node certificate', { expires: notAfter.toISOString() });
    stream.write({ message: 'renewCsrPem', renewCsrPem: csrPem });
  }

  async #renewed(certPem: string): Promise<void> {
    const keyPem = this.#renewalKey;
    if (keyPem === undefined || keyPem === 'asking') return;
    await saveRenewal(this.opts.dir, keyPem, certPem);
    this.#credentials = { ...this.#credentials, keyPem, certPem };
    this.#renewalKey = undefined;
    this.opts.log.info('node certificate renewed', { expires: certificateFacts(certPem).notAfter.toISOString() });
  }
}
