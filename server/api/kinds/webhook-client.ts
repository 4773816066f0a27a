// How a webhook is reached (its clientConfig), as upstream 1.31 decodes and
// checks it: caBundle is Go's []byte, so base64 in JSON (a bad one fails the
// request before validation, as the decoder does); exactly one of url and
// service; the URL as apiserver's ValidateWebhookURL checks it (https, a
// host, no user, query or fragment), the service as ValidateWebhookService.
import type { WebhookClientConfig } from 'kubernetes-types/admissionregistration/v1.js';
import type { KubeObject } from '../objects.js';
import { nameErrors } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { decodeBase64 } from './config.js';
import { portNumberErrors } from './containers.js';
import { decodeError, invalid, quote, required } from './field-errors.js';
import { parseGoUrl } from './go-url.js';

const URL_FORM = '; desired format: https://host[/path]';

/**
 * caBundle decoded as Go decodes a []byte (base64 text, or a JSON array of
 * bytes) and written back as Go encodes it; empty or null, it is gone
 * (omitempty). Anything else fails the request with Go's error.
 */
export function decodeCaBundle(config: WebhookClientConfig | undefined | null, owner: KubeObject): void {
  const value = config?.caBundle as unknown;
  if (config == null || value === undefined) return;
  const bytes = value === null ? Buffer.alloc(0) : typeof value === 'string' ? decodeBase64(value) : byteArray(value);
  if (typeof bytes === 'string') throw decodeError(owner, bytes);
  if (bytes.length === 0) delete config.caBundle;
  else config.caBundle = bytes.toString('base64');
}

const CA_BUNDLE_FIELD = 'Go struct field WebhookClientConfig.webhooks.clientConfig.caBundle';

/** A JSON array of bytes (null ones zero), or Go's json.Unmarshal error. */
function byteArray(value: unknown): Buffer | string {
  if (!Array.isArray(value)) return `json: cannot unmarshal ${jsonType(value)} into ${CA_BUNDLE_FIELD} of type []uint8`;
  const bytes: number[] = [];
  for (const b of value as unknown[]) {
    if (b === null) bytes.push(0);
    else if (typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255) bytes.push(b);
    else return `json: cannot unmarshal ${typeof b === 'number' ? `number ${b}` : jsonType(b)} into ${CA_BUNDLE_FIELD} of type uint8`;
  }
  return Buffer.from(bytes);
}

/** The JSON type of a value as Go's UnmarshalTypeError names it. */
function jsonType(value: unknown): string {
  return typeof value === 'boolean' ? 'bool' : Array.isArray(value) ? 'array' : typeof value;
}

/** Port 443 when a service names none. */
export function clientConfigDefaults(config: WebhookClientConfig | undefined | null): void {
  if (config?.service != null) config.service.port ??= 443;
}

export function validateClientConfig(config: WebhookClientConfig | undefined | null, path: string): StatusCause[] {
  const url = config?.url ?? undefined;
  const service = config?.service ?? undefined;
  if ((url === undefined) === (service === undefined)) return [required(path, 'exactly one of url or service is required')];
  return url !== undefined ? validateUrl(url, `${path}.url`) : validateService(service!, `${path}.service`);
}

/** ValidateWebhookURL, https forced. */
function validateUrl(text: string, path: string): StatusCause[] {
  const url = parseGoUrl(text);
  if (typeof url === 'string') return [required(path, `url must be a valid URL: ${url}${URL_FORM}`)];
  const causes: StatusCause[] = [];
  if (url.scheme !== 'https') causes.push(invalid(path, quote(url.scheme), `'https' is the only allowed URL scheme${URL_FORM}`));
  if (url.host === '') causes.push(invalid(path, quote(url.host), `host must be provided${URL_FORM}`));
  if (url.user !== undefined) causes.push(invalid(path, quote(url.user), 'user information is not permitted in the URL'));
  if (url.fragment !== '') causes.push(invalid(path, quote(url.fragment), 'fragments are not permitted in the URL'));
  if (url.rawQuery !== '') causes.push(invalid(path, quote(url.rawQuery), 'query parameters are not permitted in the URL'));
  return causes;
}

/** ValidateWebhookService: a name and namespace, a port, a path of DNS-subdomain segments. */
function validateService(service: NonNullable<WebhookClientConfig['service']>, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!service.name) causes.push(required(`${path}.name`, 'service name is required'));
  if (!service.namespace) causes.push(required(`${path}.namespace`, 'service namespace is required'));
  const port = service.port ?? 0;
  const portErrors = portNumberErrors(port);
  if (portErrors.length > 0) causes.push(invalid(`${path}.port`, String(port), `port is not valid: ${portErrors.join(', ')}`));
  const urlPath = service.path;
  if (urlPath == null || urlPath === '' || urlPath === '/') return causes;
  if (urlPath === '//') return [...causes, invalid(`${path}.path`, quote(urlPath), 'segment[0] may not be empty')];
  if (!urlPath.startsWith('/')) causes.push(invalid(`${path}.path`, quote(urlPath), "must start with a '/'"));
  const steps = urlPath.slice(1).replace(/\/$/, '').split('/');
  steps.forEach((step, i) => {
    if (step === '') causes.push(invalid(`${path}.path`, quote(urlPath), `segment[${i}] may not be empty`));
    else causes.push(...nameErrors(step, 'subdomain').map((m) => invalid(`${path}.path`, quote(urlPath), `segment[${i}]: ${m}`)));
  });
  return causes;
}
