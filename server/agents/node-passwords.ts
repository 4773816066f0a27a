// Which machine owns a node name: at join, an agent presents a random
// password it keeps in its data dir; the first one recorded for a name wins
// while that Node exists. A second machine claiming the name is refused
// (k3s's "node password rejected", with the way out spelled out), and a
// reinstalled machine joins again once the user deletes the old Node.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/types.js';

const PREFIX = '/bramble/node-passwords/';

export class NodeNameTaken extends Error {}

export class NodePasswords {
  constructor(private readonly store: Store) {}

  /** Records `password` for `node`, or throws NodeNameTaken when another one holds the name of an existing Node. */
  async claim(node: string, password: string, nodeExists: boolean): Promise<void> {
    const key = PREFIX + node;
    const hash = sha256(password);
    const current = await this.store.get(key);
    if (current === undefined) {
      await this.store.create(key, hash);
      return;
    }
    if (timingSafeEqual(Buffer.from(current.value), hash)) return;
    if (nodeExists) {
      throw new NodeNameTaken(
        `node name "${node}" is already used by another machine (its node password differs). ` +
          `If this machine replaces it, run 'kubectl delete node ${node}' and start this agent again; ` +
          `otherwise give this agent another name with --node-name`,
      );
    }
    await this.store.update(key, hash, { expectedRevision: current.modRevision });
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
