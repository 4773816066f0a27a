// The streaming pod subresources (log, exec, attach, portforward) between a
// client's authenticated, authorized request and the node's PodStreams:
// which protocol the client speaks (SPDY/3.1, a channel WebSocket, or SPDY
// inside a WebSocket), upstream's checks before any upgrade, and the
// handler for each.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream } from 'ws';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceRequest } from '../api/request-info.js';
import type { ResourceType } from '../api/resources.js';
import { errors } from '../api/status.js';
import type { ChannelVersion } from './exec-status.js';
import { serveLog } from './log-stream.js';
import { NodeStreamError, type PodStream, type PodStreams } from '../../common/pod-streams.js';
import { execTarget, logTarget, portForwardTarget } from './pod-target.js';
import { serveSpdyExec } from './spdy-exec.js';
import { serveSpdyPortForward } from './spdy-portforward.js';
import { logOptions, processOptions } from './stream-options.js';
import { acceptSpdy } from './upgrade-reply.js';
import { CHANNEL_PROTOCOLS, serveWebSocketExec } from './websocket-exec.js';
import { forwardedPorts, PORT_FORWARD_WEBSOCKET_PROTOCOLS, serveWebSocketPortForward } from './websocket-portforward.js';
import { WebSocketUpgrades } from './websocket-upgrade.js';

export interface StreamServerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly podStreams: PodStreams;
  readonly log: Logger;
}

const SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward']);
/** SPDY exec and attach versions, best first (v5 over SPDY is v4: only WebSockets gained stdin's close). */
const SPDY_CHANNEL_PROTOCOLS: readonly string[] = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io'];
const SPDY_PORT_FORWARD = 'portforward.k8s.io';
/** kubectl 1.31+ port-forward: a WebSocket whose binary messages carry a SPDY session. */
const TUNNELED_SPDY_PORT_FORWARD = 'SPDY/3.1+portforward.k8s.io';

export class StreamServer {
  private readonly pods: ResourceType;
  private readonly websockets = new WebSocketUpgrades();

  constructor(private readonly opts: StreamServerOptions) {
    const pods = opts.catalogue.get('', 'v1', 'pods');
    if (pods === undefined) throw new Error('the catalogue has no pods');
    this.pods = pods;
  }

  /** Whether this request is one of the pod streams. */
  handles(info: ResourceRequest): boolean {
    return info.group === '' && info.version === 'v1' && info.resource === 'pods' && info.subresource !== undefined && SUBRESOURCES.has(info.subresource);
  }

  /** A request without an upgrade: the log, or upstream's refusal for the others. */
  async serveRequest(info: ResourceRequest, query: URLSearchParams, res: ServerResponse): Promise<void> {
    const { namespace, name } = required(info);
    if (info.subresource !== 'log') throw errors.badRequest('Upgrade request required');
    if (info.verb !== 'get') throw errors.methodNotAllowed('POST');
    const { container, options } = logOptions(name, query);
    const target = await logTarget(this.opts.registry, this.pods, namespace, name, container);
    await serveLog(this.opts.podStreams, target, options, res);
  }

  /** An upgrade request (already authorized): checked, then answered with 101 and served; refusals throw before anything is written. */
  async serveUpgrade(info: ResourceRequest, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { namespace, name } = required(info);
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade !== 'websocket' && upgrade !== 'spdy/3.1') throw errors.badRequest(`unsupported upgrade ${JSON.stringify(req.headers.upgrade ?? '')}: SPDY/3.1 or websocket`);
    const websocket = upgrade === 'websocket';
    if (info.subresource === 'log') throw errors.badRequest('pods/log is not served over an upgraded connection');
    if (info.subresource === 'portforward') {
      const pod = await portForwardTarget(this.opts.registry, this.pods, namespace, name);
      if (!websocket) {
        spdyProtocol(req, [SPDY_PORT_FORWARD]);
        acceptSpdy(socket, SPDY_PORT_FORWARD);
        socket.unshift(head);
        serveSpdyPortForward(socket, pod, this.opts.podStreams, this.opts.log);
        return;
      }
      const protocol = this.websockets.negotiate(req, [TUNNELED_SPDY_PORT_FORWARD, ...PORT_FORWARD_WEBSOCKET_PROTOCOLS]);
      if (protocol === TUNNELED_SPDY_PORT_FORWARD) {
        const ws = await this.websockets.accept(req, socket, head, protocol);
        serveSpdyPortForward(createWebSocketStream(ws), pod, this.opts.podStreams, this.opts.log);
        return;
      }
      const ports = forwardedPorts(query);
      const ws = await this.websockets.accept(req, socket, head, protocol);
      serveWebSocketPortForward(ws, pod, ports, this.opts.podStreams, this.opts.log);
      return;
    }
    const kind = info.subresource === 'exec' ? 'exec' : 'attach';
    const options = processOptions(kind, query);
    const target = await execTarget(this.opts.registry, this.pods, namespace, name, options.container);
    const protocol = websocket ? this.websockets.negotiate(req, Object.keys(CHANNEL_PROTOCOLS)) : spdyProtocol(req, SPDY_CHANNEL_PROTOCOLS);
    const process = { stdin: options.stdin, stdout: options.stdout, stderr: options.stderr, tty: options.tty };
    const node: PodStream = await this.opts.podStreams.open(
      kind === 'exec'
        ? { kind, pod: target.pod, container: target.container, command: options.command, ...process }
        : { kind, pod: target.pod, container: target.container, ...process },
    );
    const version = CHANNEL_PROTOCOLS[protocol]!;
    if (websocket) {
      const ws = await this.websockets.accept(req, socket, head, protocol).catch((err: unknown) => {
        node.destroy();
        throw err;
      });
      serveWebSocketExec(ws, version, options, node);
      return;
    }
    acceptSpdy(socket, protocol);
    socket.unshift(head);
    serveSpdyExec(socket, version as ChannelVersion, options, node);
  }
}

function required(info: ResourceRequest): { namespace: string; name: string } {
  if (info.namespace === undefined || info.name === undefined) throw errors.notFoundPath();
  return { namespace: info.namespace, name: info.name };
}

/** Upstream's SPDY handshake: the first version the client lists that the server speaks; none is kubelet's 403 in plain text. */
function spdyProtocol(req: IncomingMessage, supported: readonly string[]): string {
  const offered = [req.headers['x-stream-protocol-version'] ?? []]
    .flat()
    .join(',')
    .split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (offered.length === 0) throw new NodeStreamError(400, 'unable to upgrade: X-Stream-Protocol-Version is required');
  const protocol = offered.find((p) => supported.includes(p));
  if (protocol === undefined) {
    throw new NodeStreamError(403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`);
  }
  return protocol;
}
