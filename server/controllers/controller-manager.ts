// The controllers `bramble server` runs (kube-controller-manager's part of
// it): each a level-triggered reconcile loop that reads the shared informers'
// caches and converges one key at a time (namespace-controller.ts shows the
// shape). Started in this order, closed in the reverse one, once the caches
// they read are full (upstream's WaitForCacheSync): a controller subscribing
// to a running cache gets every key at once, and its reconciles must not see
// one cache listed and another still empty (a ReplicaSet's pods missing would
// mean new pods, a Job missing would mean orphaned pods).
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { Registry } from '../api/registry/registry.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import { ClusterRoleAggregationController } from './clusterrole-aggregation-controller.js';
import { CronJobController } from './cronjob-controller.js';
import { CsrCleaner } from './csr-cleaner.js';
import { CsrSigningController, type RequestSigner } from './csr-signing-controller.js';
import { DaemonSetController } from './daemonset-controller.js';
import { DeploymentController } from './deployment-controller.js';
import { DisruptionController } from './disruption-controller.js';
import { EndpointSliceController } from './endpointslice-controller.js';
import { EndpointsController } from './endpoints-controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { HorizontalPodAutoscalerController } from './horizontal-pod-autoscaler-controller.js';
import { JobController } from './job-controller.js';
import { LocalPathProvisioner } from './local-path-provisioner.js';
import { NamespaceController } from './namespace-controller.js';
import { PodGcController } from './pod-gc-controller.js';
import { ReplicaSetController } from './replicaset-controller.js';
import { ResourceQuotaController } from './resource-quota-controller.js';
import { RootCaPublisher } from './root-ca-publisher.js';
import { ServiceAccountController } from './serviceaccount-controller.js';
import type { SharedInformers } from './shared-informers.js';
import { StatefulSetController } from './statefulset-controller.js';
import { TaintEvictionController } from './taint-eviction-controller.js';
import { TtlAfterFinishedController } from './ttl-after-finished-controller.js';

export interface ControllerDeps {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  /** Resource usage the nodes report (the autoscaler reads it); absent, nothing is autoscaled. */
  readonly metrics?: MetricsStore;
  /** The cluster CA, published in every namespace (kube-root-ca.crt); without it, nothing is published. */
  readonly clusterCaPem?: string;
  /** Signs approved CertificateSigningRequests with the cluster CA; without it, none is signed. */
  readonly signCertificateRequest?: RequestSigner;
  readonly log: Logger;
}

export interface RunningController {
  close(): Promise<void>;
}

export interface ControllerManager {
  close(): Promise<void>;
}

/** The types the controllers read through the shared informers. */
const CACHED: readonly (readonly [string, string, string])[] = [
  ['', 'v1', 'namespaces'],
  ['', 'v1', 'nodes'],
  ['', 'v1', 'pods'],
  ['', 'v1', 'services'],
  ['', 'v1', 'endpoints'],
  ['', 'v1', 'serviceaccounts'],
  ['', 'v1', 'persistentvolumeclaims'],
  ['', 'v1', 'persistentvolumes'],
  ['storage.k8s.io', 'v1', 'storageclasses'],
  ['apps', 'v1', 'replicasets'],
  ['apps', 'v1', 'deployments'],
  ['apps', 'v1', 'daemonsets'],
  ['apps', 'v1', 'statefulsets'],
  ['apps', 'v1', 'controllerrevisions'],
  ['batch', 'v1', 'jobs'],
  ['batch', 'v1', 'cronjobs'],
  ['discovery.k8s.io', 'v1', 'endpointslices'],
  ['policy', 'v1', 'poddisruptionbudgets'],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles'],
];

export async function startControllers(deps: ControllerDeps): Promise<ControllerManager> {
  await Promise.all(CACHED.map(([group, version, plural]) => deps.informers.of(group, version, plural).start()));
  const running: RunningController[] = [];
  const close = async () => {
    for (const controller of running.reverse()) await controller.close();
  };
  const start = async (component: string, make: (deps: ControllerDeps) => Promise<RunningController>) => {
    running.push(await make({ ...deps, log: deps.log.with({ component }) }));
  };
  try {
    await start('namespaces', (d) => NamespaceController.start(d));
    await start('taint-eviction', (d) => TaintEvictionController.start(d));
    await start('pod-gc', (d) => PodGcController.start(d));
    await start('garbage-collector', (d) => GarbageCollector.start(d));
    await start('resourcequota', (d) => ResourceQuotaController.start(d));
    await start('replicasets', (d) => ReplicaSetController.start(d));
    await start('deployments', (d) => DeploymentController.start(d));
    await start('serviceaccounts', (d) => ServiceAccountController.start(d));
    const caPem = deps.clusterCaPem;
    if (caPem !== undefined) await start('root-ca-cert-publisher', (d) => RootCaPublisher.start({ ...d, caPem }));
    const sign = deps.signCertificateRequest;
    if (sign !== undefined) await start('csrsigning', (d) => CsrSigningController.start({ ...d, sign }));
    await start('csrcleaner', (d) => CsrCleaner.start(d));
    await start('endpoints', (d) => EndpointsController.start(d));
    await start('endpointslices', (d) => EndpointSliceController.start(d));
    await start('jobs', (d) => JobController.start(d));
    await start('ttl-after-finished', (d) => TtlAfterFinishedController.start(d));
    await start('cronjobs', (d) => CronJobController.start(d));
    await start('daemonsets', (d) => DaemonSetController.start(d));
    await start('statefulsets', (d) => StatefulSetController.start(d));
    await start('disruption', (d) => DisruptionController.start(d));
    await start('local-path-provisioner', (d) => LocalPathProvisioner.start(d));
    await start('clusterrole-aggregation', (d) => ClusterRoleAggregationController.start(d));
    const metrics = deps.metrics;
    if (metrics !== undefined) await start('horizontal-pod-autoscaler', (d) => HorizontalPodAutoscalerController.start({ ...d, metrics }));
  } catch (err) {
    await close();
    throw err;
  }
  return { close };
}
