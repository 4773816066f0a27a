// Writing responses: JSON bodies (with whatever Warning headers the request
// recorded, warnings.ts) and errors as Status objects.
import type { ServerResponse } from 'node:http';
import type { HttpAnswer } from '../http-answer.js';
import { isStoreError } from '../../store/errors.js';
import { ApiError, errors } from '../status.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) }).end(payload);
}

/** A body already serialized (objects sent from their stored bytes). */
export function sendBytes(res: ServerResponse, status: number, body: Buffer, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(body.length) }).end(body);
}

export function sendAnswer(res: ServerResponse, answer: HttpAnswer): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) }).end(answer.body);
}

/**
 * Any error as a Status; unexpected ones are 500s whose detail stays in the
 * log. A store that cannot write says why (a full disk, say), as upstream
 * passes etcd's reason on: it names no object's contents.
 */
export function sendError(res: ServerResponse, err: unknown): ApiError {
  const apiError =
    err instanceof ApiError ? err : errors.internal(isStoreError(err, 'Unavailable') ? err.message : 'the server hit an unexpected error; see its log');
  if (res.headersSent) {
    res.destroy();
    return apiError;
  }
  // As upstream's ErrorNegotiated: a Status that says when to retry says it in the header too.
  const retryAfter = apiError.details?.retryAfterSeconds;
  if (retryAfter !== undefined && retryAfter > 0) res.setHeader('retry-after', String(retryAfter));
  sendJson(res, apiError.code, apiError.toStatus());
  return apiError;
}
