// The part of the npm `ws` client (v8) the agent uses; the package ships no types.
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  export class WebSocket extends EventEmitter {
    constructor(url: string, protocols?: string | string[]);
    send(data: Buffer, cb?: (err?: Error) => void): void;
    close(code?: number): void;
    terminate(): void;
    pause(): void;
    resume(): void;
  }
}
