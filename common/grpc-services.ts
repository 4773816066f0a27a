// grpc-js service definitions from our .proto files, built on the one
// protobufjs Bramble uses everywhere (the CRI codec, the API's protobuf
// bodies). Messages cross as plain objects with protobufjs's conversion
// options, the shape @grpc/proto-loader gives, without loading that package
// and its own copy of protobufjs into every agent.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { join } from 'node:path';
import { type IConversionOptions, Namespace, type NamespaceBase, Root, Service, type Type } from 'protobufjs';
import { PROTO_ROOT } from './proto.js';

export interface ProtoOptions extends IConversionOptions {
  /** Field names as written in the .proto (true) or lowerCamelCase (false). */
  readonly keepCase: boolean;
}

/** Every service of `file` (a path under proto/, as are its imports), by full name ("bramble.agent.v1.AgentService"). */
export function loadServices(file: string, options: ProtoOptions): Record<string, ServiceDefinition> {
  const root = new Root();
  root.resolvePath = (_origin, target) => join(PROTO_ROOT, target);
  root.loadSync(file, { keepCase: options.keepCase });
  root.resolveAll();
  const { keepCase: _, ...conversion } = options;
  const definitions: Record<string, ServiceDefinition> = {};
  for (const service of servicesIn(root)) definitions[service.fullName.slice(1)] = serviceDefinition(service, conversion);
  return definitions;
}

function* servicesIn(ns: NamespaceBase): Generator<Service> {
  for (const nested of ns.nestedArray) {
    if (nested instanceof Service) yield nested;
    else if (nested instanceof Namespace) yield* servicesIn(nested);
  }
}

function serviceDefinition(service: Service, conversion: IConversionOptions): ServiceDefinition {
  const definition: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request, conversion),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response, conversion),
      // grpc-js also names client methods by this: client.join beside client.Join.
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition;
}

function serializer(type: Type): (value: object) => Buffer {
  return (value) => {
    const bytes = type.encode(type.fromObject(value)).finish();
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: Type, conversion: IConversionOptions): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), conversion);
}
