// One agent's Connect stream: who it is comes from its client certificate
// (never from what it says), its first message must be a Hello, and then it
// reports its node's status, its pods' statuses and events, asks for the
// deletion of pods that stopped after being deleted, and asks for certificate
// renewals; the server sends it the
// objects it must hold (the node feed). One stream per node: a
// newer one (the agent reconnected before the server noticed the old
// connection die) replaces the older.
import { type ServerDuplexStream, status } from '@grpc/grpc-js';
import { type AgentMessage, type Hello, type ServerMessage, versionSkewError } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import { nodeSubject } from '../../common/node-identity.js';
import { BRAMBLE_VERSION } from '../../common/version.js';
import { certificateSubjectUser } from '../api/auth/client-certificate.js';
import { nodeNameOf } from '../api/auth/user.js';
import type { ClusterPki } from '../pki/index.js';
import { NODE_CERT_DAYS } from './join-service.js';
import type { NodeFeed } from './node-feed.js';
import type { NodeKeeper } from './node-keeper.js';
import type { PodDeleter } from './pod-deleter.js';
import type { PodEventWriter } from './pod-event-writer.js';
import type { PodStatusWriter } from './pod-status-writer.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import { refused, RpcError } from './rpc-error.js';

export type AgentStream = ServerDuplexStream<AgentMessage, ServerMessage>;

export interface SessionDeps {
  readonly keeper: NodeKeeper;
  readonly feed: NodeFeed;
  readonly pki: ClusterPki;
  readonly podStatus: PodStatusWriter;
  readonly podEvents: PodEventWriter;
  readonly podDeleter: PodDeleter;
  /** Where the node's resource usage goes (kubectl top, autoscaling). */
  readonly metrics?: MetricsStore;
  readonly log: Logger;
}

export class AgentSessions {
  readonly #open = new Map<string, AgentStream>();

  constructor(private readonly deps: SessionDeps) {}

  get connected(): number {
    return this.#open.size;
  }

  /** Sends `message` on the node's stream; false when the node is not connected. */
  send(node: string, message: ServerMessage): boolean {
    const call = this.#open.get(node);
    if (call === undefined || call.destroyed || call.writableEnded) return false;
    call.write(message);
    return true;
  }

  serve(call: AgentStream): void {
    const node = callerNode(call);
    if (node === undefined) {
      fail(call, refused.unauthenticated('Connect needs a node certificate from the cluster CA (CN system:node:NAME, O system:nodes): join first'));
      return;
    }
    const log = this.deps.log.with({ node });
    let said = false;
    let unsubscribe: (() => void) | undefined;
    let work: Promise<void> = Promise.resolve();
    call.on('data', (message: AgentMessage) => {
      // In order, one at a time: a status must not overtake the Hello that registers the node.
      work = work
        .then(async () => {
          if (call.destroyed || call.writableEnded) return;
          if (message.message === 'hello') {
            if (said) throw refused.invalid('Hello was already sent on this stream');
            unsubscribe = await this.#hello(call, node, message.hello);
            said = true;
            return;
          }
          if (!said) throw refused.invalid('the first message on a Connect stream must be a Hello');
          if (message.message === 'status') this.deps.keeper.report(node, message.status);
          else if (message.message === 'renewCsrPem') await this.#renew(call, node, message.renewCsrPem, log);
          else if (message.message === 'podStatus') {
            // A status that cannot be written now is sent again by the agent; the stream stays.
            await this.deps.podStatus.write(node, message.podStatus, log).catch((err: unknown) => log.warn('could not write a pod status', { pod: `${message.podStatus.namespace}/${message.podStatus.name}`, error: err }));
          } else if (message.message === 'podEvent') {
            await this.deps.podEvents.write(node, message.podEvent, log).catch((err: unknown) => log.warn('could not record a pod event', { pod: `${message.podEvent.namespace}/${message.podEvent.name}`, error: err }));
          } else if (message.message === 'podDeletion') {
            // The agent asks again at its next sync while the pod is still there.
            await this.deps.podDeleter.delete(node, message.podDeletion, log).catch((err: unknown) => log.warn('could not delete a stopped pod', { pod: `${message.podDeletion.namespace}/${message.podDeletion.name}`, error: err }));
          } else if (message.message === 'metrics') this.deps.metrics?.report(node, message.metrics);
        })
        .catch((err: unknown) => {
          if (err instanceof RpcError) log.warn('agent stream refused', { reason: err.message });
          else log.error('agent stream failed', { error: err });
          fail(call, err instanceof RpcError ? err : new RpcError(status.INTERNAL, `server error: ${(err as Error).message}`));
        });
    });
    const closed = () => {
      unsubscribe?.();
      if (this.#open.get(node) === call) {
        this.#open.delete(node);
        this.deps.keeper.disconnected(node);
        this.deps.metrics?.forgetNode(node);
        log.info('agent disconnected');
      }
    };
    call.on('end', () => {
      closed();
      call.end();
    });
    call.on('cancelled', closed);
    call.on('error', closed);
    call.on('close', closed);
  }

  /** Ends every stream (server shutdown): agents reconnect to the next server. */
  closeAll(): void {
    for (const call of this.#open.values()) fail(call, new RpcError(status.UNAVAILABLE, 'the server is shutting down'));
    this.#open.clear();
  }

  /** Registers the node, welcomes it and starts its feed; returns the feed's end. */
  async #hello(call: AgentStream, node: string, hello: Hello): Promise<() => void> {
    const skew = versionSkewError(BRAMBLE_VERSION, 'server', hello.agentVersion, 'agent');
    if (skew !== undefined) throw refused.incompatible(skew);
    const previous = this.#open.get(node);
    this.#open.set(node, call);
    if (previous !== undefined && previous !== call) fail(previous, new RpcError(status.ABORTED, 'replaced by a newer connection from the same node'));
    await this.deps.keeper.register(node, hello);
    call.write({ message: 'welcome', welcome: { serverVersion: BRAMBLE_VERSION } });
    this.deps.log.info('agent connected', { node, agentVersion: hello.agentVersion, peer: call.getPeer() });
    return this.deps.feed.subscribe(node, (objects) => {
      if (!call.destroyed && !call.writableEnded) call.write({ message: 'objects', objects });
    });
  }

  async #renew(call: AgentStream, node: string, csrPem: string, log: Logger): Promise<void> {
    const certificate = await this.deps.pki.signClientRequest(csrPem, nodeSubject(node), NODE_CERT_DAYS).catch((err: Error) => {
      throw refused.invalid(`certificate renewal refused: ${err.message}`);
    });
    call.write({ message: 'renewedCertificatePem', renewedCertificatePem: certificate });
    log.info('node certificate renewed');
  }
}

/** The node a call's verified client certificate names (CN system:node:NAME, O system:nodes), if any. */
export function callerNode(call: Pick<AgentStream, 'getAuthContext'>): string | undefined {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  const user = cert === undefined ? undefined : certificateSubjectUser(cert);
  return user === undefined ? undefined : nodeNameOf(user);
}

function fail(call: AgentStream, err: RpcError): void {
  if (call.destroyed || call.writableEnded) return;
  call.emit('error', { code: err.code, details: err.message });
}
