// The gRPC side of the server's one port: agents' connections arrive here
// already decrypted (the front door terminates TLS and keeps the client
// certificate on the socket, where grpc-js's auth context finds it).
import { type sendUnaryData, Server, ServerCredentials, type ServerUnaryCall, status, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { agentService, type JoinRequest, type JoinResponse } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import { type AgentStream, AgentSessions } from './agent-session.js';
import type { JoinService } from './join-service.js';
import type { NodeFeed } from './node-feed.js';
import type { NodeKeeper } from './node-keeper.js';
import type { PodDeleter } from './pod-deleter.js';
import type { PodEventWriter } from './pod-event-writer.js';
import type { PodStatusWriter } from './pod-status-writer.js';
import { PodTunnels, type TunnelCall } from './pod-tunnels.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import type { ClusterPki } from '../pki/index.js';
import { RpcError } from './rpc-error.js';

/** Agents send small messages; anything bigger is refused before it is decoded. */
const MAX_MESSAGE_BYTES = 1 << 20;

export interface AgentServiceOptions {
  readonly join: JoinService;
  readonly keeper: NodeKeeper;
  readonly feed: NodeFeed;
  readonly pki: ClusterPki;
  readonly podStatus: PodStatusWriter;
  readonly podEvents: PodEventWriter;
  readonly podDeleter: PodDeleter;
  readonly metrics?: MetricsStore;
  readonly log: Logger;
}

export interface AgentService {
  /** Hands over one decrypted connection whose client asked for HTTP/2 only. */
  injectConnection(connection: Duplex): void;
  readonly sessions: AgentSessions;
  /** Logs, exec, attach and port-forward on the nodes, through their agents' tunnels. */
  readonly podStreams: PodTunnels;
  close(): Promise<void>;
}

export function startAgentService(opts: AgentServiceOptions): AgentService {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    // A dead agent (a Pi pulled from the wall) is noticed within 20 s.
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 10_000,
    // Agents ping every 10 s, streams or not.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  });
  const sessions = new AgentSessions({ keeper: opts.keeper, feed: opts.feed, pki: opts.pki, podStatus: opts.podStatus, podEvents: opts.podEvents, podDeleter: opts.podDeleter, ...(opts.metrics === undefined ? {} : { metrics: opts.metrics }), log: opts.log });
  const podStreams = new PodTunnels({ ask: (node, openStream) => sessions.send(node, { message: 'openStream', openStream }), log: opts.log.with({ component: 'tunnels' }) });
  const implementation: UntypedServiceImplementation = {
    join: (call: ServerUnaryCall<JoinRequest, JoinResponse>, callback: sendUnaryData<JoinResponse>) => {
      const authorization = call.metadata.get('authorization')[0];
      opts.join.join(call.request, typeof authorization === 'string' ? authorization : undefined).then(
        (response) => callback(null, response),
        (err: unknown) => {
          if (err instanceof RpcError) {
            opts.log.warn('join refused', { node: call.request.nodeName, reason: err.message, peer: call.getPeer() });
            callback({ code: err.code, details: err.message });
          } else {
            opts.log.error('join failed', { node: call.request.nodeName, error: err });
            callback({ code: status.INTERNAL, details: `server error: ${(err as Error).message}` });
          }
        },
      );
    },
    connect: (call: AgentStream) => sessions.serve(call),
    tunnel: (call: TunnelCall) => podStreams.serve(call),
  };
  server.addService(agentService(), implementation);
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  return {
    injectConnection: (connection) => injector.injectConnection(connection),
    sessions,
    podStreams,
    close: async () => {
      podStreams.close();
      sessions.closeAll();
      injector.destroy();
      server.forceShutdown();
    },
  };
}
