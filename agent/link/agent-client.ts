// A client of the server's AgentService (proto/bramble/agent.proto): one
// connection over TLS with the cluster's CA, and the node's certificate once
// it has one.
import type { AgentMessage, JoinRequest, JoinResponse, ServerMessage, TunnelFrame } from '../../common/agent-protocol.js';
import { agentService } from '../../common/agent-protocol.js';
import { type GrpcCall, GrpcChannel, type GrpcChannelOptions, type GrpcMethod } from '../grpc/channel.js';

export interface AgentTls {
  readonly ca: string;
  /** The node's certificate and key; a node that has not joined yet has none. */
  readonly cert?: string;
  readonly key?: string;
}

export class AgentServiceClient {
  readonly #channel: GrpcChannel;

  constructor(serverUrl: URL, tls: AgentTls, options: GrpcChannelOptions = {}) {
    this.#channel = new GrpcChannel({ url: serverUrl, tls }, options);
  }

  /** Join with a bearer token (the join token, or an admin's for tests). */
  join(request: JoinRequest, bearerToken: string, deadline: number): Promise<JoinResponse> {
    return this.#channel.unary(method<JoinRequest, JoinResponse>('Join'), request, { deadline, metadata: { authorization: `Bearer ${bearerToken}` } });
  }

  connect(): GrpcCall<AgentMessage, ServerMessage> {
    return this.#channel.call(method<AgentMessage, ServerMessage>('Connect'));
  }

  tunnel(): GrpcCall<Partial<TunnelFrame>, TunnelFrame> {
    return this.#channel.call(method<Partial<TunnelFrame>, TunnelFrame>('Tunnel'));
  }

  close(): void {
    this.#channel.close();
  }
}

function method<Req, Res>(name: string): GrpcMethod<Req, Res> {
  return agentService()[name] as unknown as GrpcMethod<Req, Res>;
}
