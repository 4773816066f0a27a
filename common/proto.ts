import { fileURLToPath } from 'node:url';

/** The repo's proto/ folder, seen from the compiled file in dist/common/. */
export const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));
