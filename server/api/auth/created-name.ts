// The name a create request gives its object. Upstream checks it after
// decoding (NodeRestriction admission: a node creates only its own Node and
// Lease); here authorization comes first, so the body is read early, only
// when an authorizer asks, and handed on as a fresh request that the resource
// handler reads as if nothing had touched it.
import { IncomingMessage } from 'node:http';
import { decodeDocument, readBody } from '../http/body.js';

export class CreatedName {
  private body: Promise<Buffer> | undefined;

  constructor(private readonly req: IncomingMessage) {}

  /** metadata.name of the body; a malformed or oversized body throws its 4xx, as it would later anyway. */
  async read(): Promise<string | undefined> {
    const doc = (await this.document()) as { metadata?: { name?: unknown } } | null;
    const name = typeof doc === 'object' && doc !== null ? doc.metadata?.name : undefined;
    return typeof name === 'string' ? name : undefined;
  }

  /** The whole body, decoded (NodeRestriction looks at a TokenRequest's boundObjectRef). */
  async document(): Promise<unknown> {
    this.body ??= readBody(this.req);
    return decodeDocument(await this.body, this.req.headers['content-type']);
  }

  /** The request to handle: the original, or a copy carrying the body already read. */
  async request(): Promise<IncomingMessage> {
    if (this.body === undefined) return this.req;
    const copy = new IncomingMessage(this.req.socket);
    copy.method = this.req.method;
    copy.url = this.req.url;
    copy.headers = this.req.headers;
    copy.push(await this.body);
    copy.push(null);
    // Without it, the copy counts as aborted once read and its destruction would close the keep-alive socket.
    copy.complete = true;
    return copy;
  }
}
