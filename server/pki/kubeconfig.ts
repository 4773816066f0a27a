// kubeconfig files for kubectl and other clients, with the credentials inline
// (base64 *-data fields) so the file works wherever it is copied.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../../common/fs.js';

export interface KubeconfigOptions {
  /** API server URL, e.g. https://127.0.0.1:6443 */
  server: string;
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** File mode, e.g. 0o600 (k3s's --write-kubeconfig-mode). */
  mode: number;
}

/** Writes a kubeconfig (cluster/user/context all named "default", as k3s does) atomically: temp file + rename, with `mode`. */
export async function writeKubeconfig(path: string, opts: KubeconfigOptions): Promise<void> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'default', cluster: { server: opts.server, 'certificate-authority-data': base64(opts.caCertPem) } }],
    users: [
      {
        name: 'default',
        user: { 'client-certificate-data': base64(opts.clientCertPem), 'client-key-data': base64(opts.clientKeyPem) },
      },
    ],
    contexts: [{ name: 'default', context: { cluster: 'default', user: 'default' } }],
    'current-context': 'default',
    preferences: {},
  };
  // Like k3s: the folder (e.g. ~/.kube) may not exist yet.
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  // lineWidth 0: never fold the long base64 lines.
  await writeFileAtomic(path, stringify(config, { lineWidth: 0 }), opts.mode);
}

function base64(pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64');
}
