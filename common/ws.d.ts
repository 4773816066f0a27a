// The part of npm `ws` (8.x) that Bramble uses: the API server's WebSocket
// upgrades, and the tests' WebSocket clients. The package ships no types and
// @types/ws is not installed; this one declaration stands in for it.
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage } from 'node:http';
  import type { Duplex, DuplexOptions } from 'node:stream';

  export interface ClientOptions {
    ca?: string;
    cert?: string;
    key?: string;
    headers?: Record<string, string>;
  }

  export class WebSocket extends EventEmitter {
    constructor(address: string, options?: ClientOptions);
    readonly readyState: number;
    readonly bufferedAmount: number;
    send(data: Buffer | string, options?: { binary: boolean }, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    pause(): void;
    resume(): void;
  }

  export interface ServerOptions {
    noServer: true;
    maxPayload?: number;
    perMessageDeflate?: boolean;
    clientTracking?: boolean;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(options: ServerOptions);
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WebSocket, req: IncomingMessage) => void): void;
    on(event: 'headers', listener: (headers: string[], req: IncomingMessage) => void): this;
    on(event: string, listener: (...args: never[]) => void): this;
  }

  export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex;
}
