// A URL split as Go's net/url.Parse splits it (Go 1.22, what Kubernetes 1.31
// is built with), with the errors it returns in Go's words: webhook URLs are
// validated on the parts it finds, and a URL it refuses is reported with its
// error. Only the parts validation reads are kept.
import { quote } from './field-errors.js';

export interface GoUrl {
  /** Lower-cased, as Go keeps it. */
  readonly scheme: string;
  /** The userinfo as written (Userinfo.String() escapes it again: the same unless it escaped what needs none); undefined without an "@". */
  readonly user: string | undefined;
  /** Unescaped. */
  readonly host: string;
  readonly rawQuery: string;
  /** Unescaped. */
  readonly fragment: string;
}

/** url.Parse: the parts, or the error text (`parse "…": …`). */
export function parseGoUrl(raw: string): GoUrl | string {
  const hash = raw.indexOf('#');
  const beforeFragment = hash === -1 ? raw : raw.slice(0, hash);
  const parsed = parse(beforeFragment);
  if (typeof parsed === 'string') return `parse ${quote(beforeFragment)}: ${parsed}`;
  if (hash === -1) return { ...parsed, fragment: '' };
  const fragment = unescape(raw.slice(hash + 1), 'fragment');
  if (fragment.error !== undefined) return `parse ${quote(raw)}: ${fragment.error}`;
  return { ...parsed, fragment: fragment.value };
}

function parse(raw: string): Omit<GoUrl, 'fragment'> | string {
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'net/url: invalid control character in URL';
  if (raw === '*') return { scheme: '', user: undefined, host: '', rawQuery: '' };
  const scheme = schemeOf(raw);
  if (typeof scheme === 'string') return scheme;
  let rest = scheme.rest;
  let rawQuery = '';
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf('?');
    if (q !== -1) [rest, rawQuery] = [rest.slice(0, q), rest.slice(q + 1)];
  }
  const base = { scheme: scheme.scheme.toLowerCase(), user: undefined, host: '', rawQuery };
  if (!rest.startsWith('/')) {
    // Rootless: opaque after a scheme, else a relative path whose first segment holds no colon.
    if (scheme.scheme !== '') return base;
    if ((rest.split('/')[0] ?? '').includes(':')) return 'first path segment in URL cannot contain colon';
  }
  let user: string | undefined;
  let host = '';
  if ((scheme.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    rest = slash === -1 ? '' : authority.slice(slash);
    if (slash !== -1) authority = authority.slice(0, slash);
    const parsed = parseAuthority(authority);
    if (typeof parsed === 'string') return parsed;
    ({ user, host } = parsed);
  }
  const path = unescape(rest, 'path');
  if (path.error !== undefined) return path.error;
  return { ...base, user, host };
}

/** getScheme: letters first, then letters, digits, "+", "-" or "." up to a colon. */
function schemeOf(raw: string): { scheme: string; rest: string } | string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: '', rest: raw };
      continue;
    }
    if (c === ':') return i === 0 ? 'missing protocol scheme' : { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    return { scheme: '', rest: raw };
  }
  return { scheme: '', rest: raw };
}

function parseAuthority(authority: string): { user: string | undefined; host: string } | string {
  const at = authority.lastIndexOf('@');
  const host = parseHost(at === -1 ? authority : authority.slice(at + 1));
  if (typeof host !== 'string' || at === -1) return typeof host === 'string' ? { user: undefined, host } : host.error;
  const userinfo = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) return 'net/url: invalid userinfo';
  const colon = userinfo.indexOf(':');
  for (const part of colon === -1 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)]) {
    const decoded = unescape(part, 'userinfo');
    if (decoded.error !== undefined) return decoded.error;
  }
  return { user: userinfo, host };
}

/** parseHost: an IP literal in brackets or a name, each with an optional numeric port. */
function parseHost(host: string): string | { error: string } {
  let end = host.length;
  if (host.startsWith('[')) {
    end = host.lastIndexOf(']');
    if (end === -1) return { error: "missing ']' in host" };
    const colonPort = host.slice(end + 1);
    if (!/^(:[0-9]*)?$/.test(colonPort)) return { error: `invalid port ${quote(colonPort)} after host` };
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1 && !/^:[0-9]*$/.test(host.slice(colon))) return { error: `invalid port ${quote(host.slice(colon))} after host` };
  }
  const decoded = unescape(host, 'host');
  return decoded.error === undefined ? decoded.value : { error: decoded.error };
}

type Mode = 'host' | 'path' | 'userinfo' | 'fragment';

/** Characters a host may hold unescaped (shouldEscape's encodeHost exceptions). */
const HOST_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"]/;

/** unescape: %XX sequences decoded; a bad one, or a character a host may not hold, is an error. */
function unescape(s: string, mode: Mode): { value: string; error?: string } {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { value: '', error: `invalid URL escape ${quote(s.slice(i, i + 3))}` };
      // A host may only escape bytes of UTF-8 sequences, or "%25".
      if (mode === 'host' && parseInt(hex[0]!, 16) < 8 && hex !== '25') return { value: '', error: `invalid URL escape ${quote(s.slice(i, i + 3))}` };
      bytes.push(parseInt(hex, 16));
      i += 2;
      continue;
    }
    if (mode === 'host' && c.charCodeAt(0) < 0x80 && !HOST_CHAR.test(c)) return { value: '', error: `invalid character ${quote(c)} in host name` };
    bytes.push(...Buffer.from(c, 'utf8'));
  }
  return { value: Buffer.from(bytes).toString('utf8') };
}
