// API errors as Kubernetes Status objects, with the reasons and the exact
// messages kubectl users know ("pods \"x\" not found").

export interface StatusCause {
  readonly reason?: string;
  readonly message: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure' | 'Success';
  readonly message: string;
  readonly reason: string;
  readonly details?: StatusDetails;
  readonly code: number;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Status {
    const base = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason } as const;
    return this.details === undefined ? { ...base, code: this.code } : { ...base, details: this.details, code: this.code };
  }
}

/** What 422s call a kind: "Deployment.apps", or "Pod" for the core group. */
export interface KindName {
  readonly group: string;
  readonly kind: string;
}

/** What error messages call a resource: "pods", or "deployments.apps" for a named group. */
export interface ResourceName extends KindName {
  readonly plural: string;
}

const qualified = (r: ResourceName) => (r.group === '' ? r.plural : `${r.plural}.${r.group}`);
const detailsOf = (r: ResourceName, name: string): StatusDetails =>
  r.group === '' ? { name, kind: r.plural } : { name, group: r.group, kind: r.plural };

/** The kinds of a request's options (CreateOptions, DeleteOptions …), as 422s for their fields name them. */
export type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

export function optionsKind(kind: OptionsKind): KindName {
  return { group: 'meta.k8s.io', kind };
}

/** An error list as upstream's utilerrors.Aggregate prints it: one message alone, several (repeats dropped) in brackets. */
export function aggregate(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

export const errors = {
  notFound: (r: ResourceName, name: string) => new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, detailsOf(r, name)),
  alreadyExists: (r: ResourceName, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, detailsOf(r, name)),
  conflict: (r: ResourceName, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, detailsOf(r, name)),
  invalid: (r: KindName, name: string, causes: readonly StatusCause[]) =>
    new ApiError(
      422,
      'Invalid',
      // NewInvalid names the kind with its group (Deployment.apps); kubectl prints its own line from the details.
      `${r.group === '' ? r.kind : `${r.kind}.${r.group}`} "${name}" is invalid: ${aggregate(causes.map((c) => (c.field === undefined ? c.message : `${c.field}: ${c.message}`)))}`,
      // Empty name and group are left out, as upstream's omitempty does.
      { ...(name === '' ? {} : { name }), ...(r.group === '' ? {} : { group: r.group }), kind: r.kind, causes },
    ),
  forbidden: (r: ResourceName, name: string, why: string) => new ApiError(403, 'Forbidden', `${qualified(r)} "${name}" is forbidden: ${why}`, detailsOf(r, name)),
  /** NewTooManyRequests: retryAfterSeconds 0 is left out, as upstream's omitempty does. */
  tooManyRequests: (message: string, retryAfterSeconds: number, causes: readonly StatusCause[] = []) =>
    new ApiError(429, 'TooManyRequests', message, {
      ...(causes.length > 0 ? { causes } : {}),
      ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
    }),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  notFoundPath: () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {}),
  methodNotAllowed: (method: string) => new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`, {}),
  notAcceptable: (accept: string) => new ApiError(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/yaml (not ${accept})`),
  expired: (message: string) => new ApiError(410, 'Expired', message),
  tooLarge: (limit: number) => new ApiError(413, 'RequestEntityTooLarge', `the request body is larger than ${limit} bytes`),
  unsupportedMediaType: (type: string) => new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (not ${JSON.stringify(type)})`),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
  serviceUnavailable: (message: string) => new ApiError(503, 'ServiceUnavailable', message),
} as const;
