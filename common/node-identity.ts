// The certificate identity of a node, as upstream's Node authorizer reads it:
// user system:node:NAME in group system:nodes. The agent asks for it, the
// server issues and checks it.
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

export function nodeSubject(node: string): { commonName: string; organizations: readonly string[] } {
  return { commonName: NODE_USER_PREFIX + node, organizations: [NODES_GROUP] };
}
