// The etcd v3 wire messages as common/grpc-services.ts decodes them from our own
// proto subset (proto/etcd/*.proto): field names as in the .proto (keepCase),
// int64 as Number (revisions stay far below 2^53), enums as their names,
// bytes as Buffer. Only what the client sends or reads is typed here.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadServices } from '../../../common/grpc-services.js';

export interface WireKeyValue {
  readonly key: Buffer;
  readonly create_revision: number;
  readonly mod_revision: number;
  readonly version: number;
  readonly value: Buffer;
}

export interface WireEvent {
  readonly type: 'PUT' | 'DELETE';
  readonly kv: WireKeyValue | null;
  readonly prev_kv: WireKeyValue | null;
}

export interface ResponseHeader {
  readonly revision: number;
}

export interface RangeRequest {
  readonly key: Buffer;
  readonly range_end?: Buffer;
  readonly limit?: number;
  readonly revision?: number;
}

export interface RangeResponse {
  readonly header: ResponseHeader | null;
  readonly kvs: WireKeyValue[];
  readonly more: boolean;
  readonly count: number;
}

export interface PutRequest {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface PutResponse {
  readonly header: ResponseHeader | null;
}

export interface Compare {
  readonly result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  readonly target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
  readonly key: Buffer;
  readonly create_revision?: number;
  readonly mod_revision?: number;
}

export interface RequestOp {
  readonly request_range?: RangeRequest;
  readonly request_put?: PutRequest;
}

export interface ResponseOp {
  readonly response_range: RangeResponse | null;
  readonly response_put: PutResponse | null;
}

export interface TxnRequest {
  readonly compare: Compare[];
  readonly success: RequestOp[];
  readonly failure: RequestOp[];
}

export interface TxnResponse {
  readonly header: ResponseHeader | null;
  readonly succeeded: boolean;
  readonly responses: ResponseOp[];
}

export interface WatchCreateRequest {
  readonly key: Buffer;
  readonly range_end?: Buffer;
  /** Inclusive; 0 or absent: from the next revision on. */
  readonly start_revision?: number;
  readonly prev_kv?: boolean;
}

export interface WatchRequest {
  readonly create_request?: WatchCreateRequest;
  readonly cancel_request?: { readonly watch_id: number };
}

export interface WatchResponse {
  readonly header: ResponseHeader | null;
  readonly watch_id: number;
  readonly created: boolean;
  readonly canceled: boolean;
  readonly compact_revision: number;
  readonly cancel_reason: string;
  readonly events: WireEvent[];
}

/** One gRPC method: its path and its message codecs. */
export interface Method<Req, Res> {
  readonly path: string;
  serialize(request: Req): Buffer;
  deserialize(bytes: Buffer): Res;
}

export interface EtcdMethods {
  readonly range: Method<RangeRequest, RangeResponse>;
  readonly put: Method<PutRequest, PutResponse>;
  readonly txn: Method<TxnRequest, TxnResponse>;
  readonly watch: Method<WatchRequest, WatchResponse>;
}


export function loadEtcdMethods(): EtcdMethods {
  const definition = loadServices('etcd/rpc.proto', { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const kv = definition['etcdserverpb.KV']!;
  const watch = definition['etcdserverpb.Watch']!;
  return {
    range: method(kv, 'Range'),
    put: method(kv, 'Put'),
    txn: method(kv, 'Txn'),
    watch: method(watch, 'Watch'),
  };
}

function method<Req, Res>(service: ServiceDefinition, name: string): Method<Req, Res> {
  const m = service[name];
  if (m === undefined) throw new Error(`proto/etcd/rpc.proto has no method ${name}`);
  return {
    path: m.path,
    serialize: (request) => m.requestSerialize(request as object),
    deserialize: (bytes) => m.responseDeserialize(bytes) as Res,
  };
}
