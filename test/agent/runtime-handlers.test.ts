// The handler a pod's sandbox runs with, as kubelet's RuntimeClass manager
// finds it: none without a class (and no API call), the class's handler read
// with the node's credentials, kubelet's lister error for a class that is
// gone, and the handler last read while the API cannot be reached.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { RuntimeHandlers } from '../../agent/pods/runtime-handlers.js';
import { ApiRequestError } from '../../agent/volumes/node-api.js';

const pod = (runtimeClassName?: string): Pod => ({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], ...(runtimeClassName !== undefined ? { runtimeClassName } : {}) } });

test('a pod’s runtime handler: its class’s, kubelet’s error for a missing class, the last one read while the API is away', async () => {
  const calls: string[] = [];
  let answer: (path: string) => unknown = () => ({ handler: 'runsc' });
  const api = {
    get: async <T>(path: string): Promise<T> => {
      calls.push(path);
      return answer(path) as T;
    },
  };
  const handlers = new RuntimeHandlers(api);

  assert.equal(await handlers.handlerOf(pod()), '');
  assert.equal(await handlers.handlerOf(pod('')), '');
  assert.deepEqual(calls, [], 'no class, no call');

  assert.equal(await handlers.handlerOf(pod('gvisor')), 'runsc');
  assert.deepEqual(calls, ['/apis/node.k8s.io/v1/runtimeclasses/gvisor']);

  answer = () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
  };
  assert.equal(await handlers.handlerOf(pod('gvisor')), 'runsc', 'the handler last read');
  await assert.rejects(handlers.handlerOf(pod('kata')), { message: 'failed to lookup RuntimeClass kata: connect ECONNREFUSED 127.0.0.1:6443' });

  answer = () => {
    throw new ApiRequestError(404, 'runtimeclasses.node.k8s.io "gvisor" not found');
  };
  await assert.rejects(handlers.handlerOf(pod('gvisor')), { message: 'runtimeclass.node.k8s.io "gvisor" not found' });
  answer = () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
  };
  await assert.rejects(handlers.handlerOf(pod('gvisor')), { message: 'failed to lookup RuntimeClass gvisor: connect ECONNREFUSED 127.0.0.1:6443' }, 'a class found gone is forgotten');
});
