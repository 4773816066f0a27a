// A bare HTTPS client for the API, with the credentials of a kubeconfig, for
// tests that need exact control of what goes on the wire.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { parse } from 'yaml';

export interface Credentials {
  readonly server: string;
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

export async function credentialsFrom(kubeconfigPath: string): Promise<Credentials> {
  const k = parse(await readFile(kubeconfigPath, 'utf8')) as Kubeconfig;
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return {
    server: k.clusters[0]!.cluster.server,
    ca: b64(k.clusters[0]!.cluster['certificate-authority-data']),
    cert: b64(k.users[0]!.user['client-certificate-data']),
    key: b64(k.users[0]!.user['client-key-data']),
  };
}

export function api(
  creds: Credentials,
  method: string,
  path: string,
  opts: { body?: string | Buffer; contentType?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const url = new URL(path, creds.server);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: creds.ca,
        ...(creds.cert !== undefined ? { cert: creds.cert, key: creds.key } : {}),
        headers: {
          ...(opts.body !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
