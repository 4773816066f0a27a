import { PatchError } from './errors.js';

/** RFC 6901: "" is the whole document; "/a~1b/~0c" is ["a/b", "~c"]. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}": it must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw new PatchError(`invalid JSON pointer "${pointer}": "~" must be followed by "0" or "1"`);
      // ~1 first, so that "~01" becomes "~1" and not "/".
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}
