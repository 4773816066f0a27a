// Request bodies: read with a size limit (as the apiserver's 3 MiB), then
// decoded by Content-Type. Anything malformed is a 4xx before any change.
import type { IncomingMessage } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { decodeProtobufObject, ProtobufDecodeError } from '../protobuf/decode.js';
import { errors } from '../status.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * The whole body. Plain listeners rather than `for await`: a stream's async
 * iterator costs a promise per chunk and a set of end-of-stream watchers per
 * request, a few % of the server's CPU when every write is a request.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(errors.tooLarge(limit));
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err: Error | undefined) => {
      req.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose);
      if (err === undefined) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else {
        // The rest is drained unread, so the connection can answer the 413.
        settle(errors.tooLarge(limit));
        req.resume();
      }
    };
    const onEnd = () => settle(undefined);
    // Closed before its end (the client went away): the error says so, as the stream's iterator would.
    const onClose = () => settle(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    req.on('data', onData).on('end', onEnd).on('error', settle).on('close', onClose);
  });
}

/** The media type without parameters, lower-cased: "application/json". */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}

/** A JSON, YAML or Kubernetes protobuf document as a plain value. */
export function decodeDocument(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  // kubectl 1.32+ sends protobuf for typed commands (create deployment, create token, auth can-i, …).
  if (type === 'application/vnd.kubernetes.protobuf') {
    try {
      return decodeProtobufObject(body);
    } catch (err) {
      if (err instanceof ProtobufDecodeError) throw errors.badRequest(err.message);
      throw err;
    }
  }
  const text = body.toString('utf8');
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  }
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml') {
    const docs = parseAllDocuments(text, { schema: 'core' });
    if (!Array.isArray(docs) || docs.length !== 1) throw errors.badRequest('the request body must hold exactly one YAML document');
    const doc = docs[0]!;
    if (doc.errors.length > 0) throw errors.badRequest(`error converting YAML to JSON: ${doc.errors[0]!.message}`);
    return doc.toJS();
  }
  throw errors.unsupportedMediaType(type);
}
