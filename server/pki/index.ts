// The cluster PKI's public API (server/run.ts imports from here).
export { type ClusterPki, ensureClusterPki, type PkiOptions } from './cluster-pki.js';
export { PkiError } from './errors.js';
export { type KubeconfigOptions, writeKubeconfig } from './kubeconfig.js';
