// The seam between the API's streaming pod subresources (exec, attach,
// portforward, log: their wire protocols with kubectl and other clients,
// SPDY and WebSocket) and the node that serves them (through the agent's
// tunnel). Both sides speak frames on the channels of v5.channel.k8s.io,
// so a protocol handler never knows how the node is reached, and the
// tunnel never knows which protocol the client spoke.
import type { Duplex } from 'node:stream';

/** Channels, as in v5.channel.k8s.io (port-forward: data on STDIN/STDOUT, a failure on ERROR). */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** From the node: the final Status as JSON (exec/attach), or an error text (portforward, log). */
export const ERROR = 3;
/** To the node: a terminal size as JSON, {"Width":80,"Height":24}. */
export const RESIZE = 4;

/** One piece of a stream. `end` on STDIN (with empty data) closes the process's stdin. */
export interface Frame {
  readonly channel: number;
  readonly data: Buffer;
  readonly end?: boolean;
}

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The node the pod is bound to, whose agent serves the stream. */
  readonly nodeName: string;
}

export interface LogOptions {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly sinceSeconds?: number;
  /** RFC 3339. */
  readonly sinceTime?: string;
  readonly tailLines?: number;
  readonly limitBytes?: number;
}

export type PodStreamRequest =
  | { readonly kind: 'exec'; readonly pod: PodRef; readonly container: string; readonly command: readonly string[]; readonly stdin: boolean; readonly stdout: boolean; readonly stderr: boolean; readonly tty: boolean }
  | { readonly kind: 'attach'; readonly pod: PodRef; readonly container: string; readonly stdin: boolean; readonly stdout: boolean; readonly stderr: boolean; readonly tty: boolean }
  /** One forwarded connection to `port` in the pod's network namespace. */
  | { readonly kind: 'portforward'; readonly pod: PodRef; readonly port: number }
  /** The container's log on STDOUT (as kubelet serves it), ending when done (or when the container exits, with follow). */
  | { readonly kind: 'log'; readonly pod: PodRef; readonly container: string; readonly options: LogOptions };

/**
 * An open stream to a node: an object-mode Duplex of Frames (write what the
 * client sends, read what the node sends). It ends when the node is done;
 * destroying it cancels the stream on the node.
 */
export type PodStream = Duplex;

/**
 * What the node itself answers when it cannot serve a stream. Kubelet writes
 * these as plain text, not a Status, and kubectl prints them as
 * `error: unable to upgrade connection: container not found ("app")`.
 */
export class NodeStreamError extends Error {
  override readonly name = 'NodeStreamError';
  constructor(
    /** The HTTP status kubelet answers with (500 for most). */
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Kubelet's answer to exec, attach or a log stream of a container that does not run. */
export const containerNotFound = (container: string): NodeStreamError => new NodeStreamError(500, `container not found (${JSON.stringify(container)})`);

export interface PodStreams {
  /**
   * Opens a stream on the pod's node. Rejects with an ApiError (server/api/status.ts)
   * when it cannot be opened (the node is not connected), or a NodeStreamError
   * for what the node refuses (the container is not there), so the handler can
   * still answer before any upgrade.
   */
  open(request: PodStreamRequest): Promise<PodStream>;
}
