// A response without a transport, so API modules can be tested and reused
// without an HTTP server; the server writes it out as it is.
import type { ApiError } from './status.js';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

export function jsonAnswer(status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): HttpAnswer {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** The error as the Status object kubectl prints ("Error from server (NotFound): …"). */
export function errorAnswer(error: ApiError): HttpAnswer {
  return jsonAnswer(error.code, error.toStatus());
}
