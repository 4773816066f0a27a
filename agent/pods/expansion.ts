// Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion), used
// for env values, command and args: `$(NAME)` becomes the variable's value
// when it is defined and stays as written when not, `$$` is one `$`, and a
// `$` that begins nothing (or an unclosed `$(`) is kept. Inputs are byte
// strings (one char per byte, as Buffer's 'latin1'), so it works on bytes
// as upstream's does, whatever the values hold.

/** A variable's value, or undefined when it has none. */
export type Lookup = (name: string) => string | undefined;

export function expand(input: string, lookup: Lookup): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1]!;
    if (next === '$') {
      out += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        out += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `$(${name})`;
        cursor = close;
      }
    } else {
      // Upstream writes the byte after a lone `$` as a rune: one ≥ 0x80 comes out UTF-8 encoded.
      out += `$${next.charCodeAt(0) < 0x80 ? next : Buffer.from(next, 'utf8').toString('latin1')}`;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** A text as the byte string expand() works on. */
export function toBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A byte string back as text (for CRI's string fields). */
export function fromBytes(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
