// A container's environment as kubelet makes it (makeEnvironmentVariables):
// envFrom's ConfigMaps and Secrets first (with their prefix), then env in
// order, each overriding what came before: a literal value with $(VAR)
// references expanded against the variables defined so far, or a value from
// the downward API, a ConfigMap key or a Secret key. A missing ConfigMap,
// Secret or key fails the container's config with kubelet's message unless
// the reference is optional. Values are byte strings (see expansion.ts):
// Secret data reaches the container byte for byte. Never log them.
//
// Not here: the service links (KUBERNETES_SERVICE_HOST, <SVC>_SERVICE_HOST …).
import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { EnvVar } from '../cri/types.js';
import { ContainerConfigError } from './container-config-error.js';
import { containerResourceValue, type PodAddresses, podFieldValue } from './downward-api.js';
import { expand, fromBytes, toBytes } from './expansion.js';

/** The ConfigMaps and Secrets the node holds. */
export interface EnvSources {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
}

export interface EnvInputs extends PodAddresses {
  readonly sources: EnvSources;
  /** The node's allocatable resources: resourceFieldRef's limits when a container has none. */
  readonly allocatable: Readonly<Record<string, string>>;
}

/** Name → value (a byte string), in the order the names were first defined. */
export type Environment = ReadonlyMap<string, string>;

/** Throws ContainerConfigError when a source it needs is missing. */
export function containerEnvironment(pod: Pod, container: Container, inputs: EnvInputs): Environment {
  const namespace = pod.metadata!.namespace!;
  const env = new Map<string, string>();
  const configMaps = new Map<string, Map<string, string>>();
  const secrets = new Map<string, Map<string, string>>();
  const configMapData = (name: string, optional: boolean | undefined) => {
    let data = configMaps.get(name);
    if (data === undefined) {
      const found = inputs.sources.configMap(namespace, name);
      if (found === undefined) {
        if (optional === true) return undefined;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      data = new Map(Object.entries(found.data ?? {}).map(([k, v]) => [k, toBytes(v)]));
      configMaps.set(name, data);
    }
    return data;
  };
  const secretData = (name: string, optional: boolean | undefined) => {
    let data = secrets.get(name);
    if (data === undefined) {
      const found = inputs.sources.secret(namespace, name);
      if (found === undefined) {
        if (optional === true) return undefined;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      data = new Map(Object.entries(found.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('latin1')]));
      secrets.set(name, data);
    }
    return data;
  };

  // Every key goes in, as kubelet has done since 1.30 (the API checks names; it no longer skips any).
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const data = from.configMapRef !== undefined ? configMapData(from.configMapRef.name ?? '', from.configMapRef.optional) : from.secretRef !== undefined ? secretData(from.secretRef.name ?? '', from.secretRef.optional) : undefined;
    for (const [key, value] of data ?? []) env.set(prefix + key, value);
  }

  const lookup = (name: string) => env.get(name);
  for (const variable of container.env ?? []) {
    let value = toBytes(variable.value ?? '');
    const from = variable.valueFrom;
    if (value !== '') value = expand(value, lookup);
    else if (from?.fieldRef !== undefined) value = toBytes(downward(() => podFieldValue(pod, from.fieldRef!, inputs)));
    else if (from?.resourceFieldRef !== undefined) value = toBytes(downward(() => containerResourceValue(pod, container, from.resourceFieldRef!, inputs.allocatable)));
    else if (from?.configMapKeyRef !== undefined) {
      const { name = '', key, optional } = from.configMapKeyRef;
      const data = configMapData(name, optional);
      if (data === undefined) continue;
      const found = data.get(key);
      if (found === undefined) {
        if (optional === true) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
      }
      value = found;
    } else if (from?.secretKeyRef !== undefined) {
      const { name = '', key, optional } = from.secretKeyRef;
      const data = secretData(name, optional);
      if (data === undefined) continue;
      const found = data.get(key);
      if (found === undefined) {
        if (optional === true) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
      }
      value = found;
    }
    env.set(variable.name, value);
  }
  return env;
}

/** The environment as CRI takes it: values as their bytes. */
export function criEnv(env: Environment): EnvVar[] {
  return [...env].map(([key, value]) => ({ key, value: Buffer.from(value, 'latin1') }));
}

/** command or args with $(VAR) expanded against the container's environment; undefined when empty (the image's own). */
export function expandArgs(list: readonly string[] | undefined, env: Environment): string[] | undefined {
  if (list === undefined || list.length === 0) return undefined;
  return list.map((arg) => fromBytes(expand(toBytes(arg), (name) => env.get(name))));
}

function downward(read: () => string): string {
  try {
    return read();
  } catch (err) {
    throw new ContainerConfigError((err as Error).message);
  }
}
