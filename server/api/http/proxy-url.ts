// URL paths as Go's net/url and path packages treat them, for the proxy
// subresources: upstream decodes a request's path, joins and cleans it
// (path.Join), and writes it out again escaped (URL.EscapedPath), so a
// pod sees exactly those bytes. Decoded paths are kept as latin1 strings,
// one character a byte, as Go's strings are bytes.
import { posix } from 'node:path';

/** %XX decoded to its byte, the rest as it is; undefined for a broken escape (Go's url.PathUnescape refuses it). */
export function unescapePath(text: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(text)) return undefined;
  return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Go's escape(s, encodePath): letters, digits, `-_.~` and `$&+,/:;=@` stay; every other byte is %XX. */
export function escapePath(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    out += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(ch) ? ch : `%${path.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's path.Join: the non-empty elements joined with "/" and cleaned ("" when all are empty). */
export function joinPath(...elements: string[]): string {
  const joined = elements.filter((e) => e !== '').join('/');
  if (joined === '') return '';
  const cleaned = posix.normalize(joined);
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}

/** apimachinery's JoinPreservingTrailingSlash: path.Join, with the last non-empty element's trailing slash kept. */
export function joinPreservingTrailingSlash(...elements: string[]): string {
  const result = joinPath(...elements);
  const last = [...elements].reverse().find((e) => e !== '');
  return last?.endsWith('/') && !result.endsWith('/') ? `${result}/` : result;
}
