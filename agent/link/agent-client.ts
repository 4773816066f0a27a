// A gRPC client of the server's AgentService (proto/bramble/agent.proto).
import {
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientDuplexStream,
  makeGenericClientConstructor,
  type Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { type AgentMessage, agentService, type JoinRequest, type JoinResponse, type ServerMessage, type TunnelFrame } from '../../common/agent-protocol.js';

export interface AgentServiceClient extends Client {
  join(request: JoinRequest, metadata: Metadata, options: { deadline: number }, callback: (err: ServiceError | null, res?: JoinResponse) => void): void;
  connect(): ClientDuplexStream<AgentMessage, ServerMessage>;
  tunnel(): ClientDuplexStream<Partial<TunnelFrame>, TunnelFrame>;
}

export function agentServiceClient(serverUrl: URL, credentials: ChannelCredentials, options: ChannelOptions = {}): AgentServiceClient {
  const Constructor = makeGenericClientConstructor(agentService(), 'AgentService');
  return new Constructor(serverUrl.host, credentials, options) as unknown as AgentServiceClient;
}
