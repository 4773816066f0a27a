// Links in a pod's answer made to go through the proxy, as upstream's proxy
// transport makes them (apimachinery's util/proxy Transport): a redirect's
// Location and the URL attributes of an HTML page's tags that point at the
// pod itself (or at the host the client asked) by an absolute path get the
// proxy's path in front, so a dashboard's `/static/app.js` loads through
// `/api/v1/namespaces/NS/services/NAME/proxy/static/app.js`.
//
// Upstream's HTML tokenizer writes every tag it reads back in its own form;
// here only the URL values change and every other byte stays as the pod
// wrote it. Entities in a URL are left as written, not decoded first.
import { escapePath, joinPath, unescapePath } from './proxy-url.js';

export interface LinkContext {
  /** The proxy's path, before the pod's own: /api/v1/namespaces/NS/pods/NAME/proxy */
  readonly prefix: string;
  /** The pod's host[:port] as the proxy's location URL has it. */
  readonly backendHost: string;
  /** The request's Host header: the name the client gave the server. */
  readonly requestHost: string;
}

/** URL-valued attributes by tag, as upstream's atomsToAttrs. */
const URL_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  a: ['href'],
  applet: ['codebase'],
  area: ['href'],
  audio: ['src'],
  base: ['href'],
  blockquote: ['cite'],
  body: ['background'],
  button: ['formaction'],
  command: ['icon'],
  del: ['cite'],
  embed: ['src'],
  form: ['action'],
  frame: ['longdesc', 'src'],
  head: ['profile'],
  html: ['manifest'],
  iframe: ['longdesc', 'src'],
  img: ['longdesc', 'src', 'usemap'],
  input: ['src', 'usemap', 'formaction'],
  ins: ['cite'],
  link: ['href'],
  object: ['classid', 'codebase', 'data', 'usemap'],
  q: ['cite'],
  script: ['src'],
  source: ['src'],
  video: ['poster', 'src'],
};

/** Elements whose content is text up to their end tag, never tags (Go's tokenizer's raw text elements). */
const RAW_TEXT = new Set(['iframe', 'noembed', 'noframes', 'noscript', 'plaintext', 'script', 'style', 'textarea', 'title', 'xmp']);

/**
 * Upstream's rewriteURL: a URL on another host, or a relative one, or one
 * Go's url.Parse refuses, stays; otherwise its path gets the prefix (unless
 * it has it already), and its scheme and host go unless they are the host
 * the client asked.
 */
export function rewriteUrl(text: string, ctx: LinkContext): string {
  const url = parseUrl(text);
  if (url === undefined) return text;
  const differentHost = url.host !== '' && url.host !== ctx.backendHost && url.host !== ctx.requestHost;
  if (differentHost || !url.path.startsWith('/')) return text;
  const origin = url.host !== '' && url.host === ctx.requestHost ? `${url.scheme === '' ? '' : `${url.scheme}:`}//${url.host}` : '';
  let path = url.rawPath;
  if (!url.path.startsWith(ctx.prefix)) path = escapePath(`${joinPath(ctx.prefix, url.path)}${url.path.endsWith('/') ? '/' : ''}`);
  return `${origin}${path}${url.query === undefined ? '' : `?${url.query}`}${url.fragment === '' ? '' : `#${url.fragment}`}`;
}

interface ParsedUrl {
  readonly scheme: string;
  readonly host: string;
  /** Decoded, one character a byte. */
  readonly path: string;
  readonly rawPath: string;
  /** After a "?", even an empty one (Go keeps it, as ForceQuery). */
  readonly query: string | undefined;
  readonly fragment: string;
}

/** The parts of Go's url.Parse that rewriting reads; undefined where Go fails or finds no path (an opaque `mailto:`). */
function parseUrl(text: string): ParsedUrl | undefined {
  if (/[\x00-\x1f\x7f]/.test(text)) return undefined;
  const [beforeFragment, fragment = ''] = splitOnce(text, '#');
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(beforeFragment);
  if (beforeFragment.startsWith(':')) return undefined;
  const scheme = schemeMatch?.[1]?.toLowerCase() ?? '';
  const [rest, query] = splitOnce(beforeFragment.slice(schemeMatch?.[0].length ?? 0), '?');
  let host = '';
  let rawPath = rest;
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rawPath = slash < 0 ? '' : rest.slice(slash);
    host = authority.slice(authority.lastIndexOf('@') + 1);
    // A port must be digits, after the bracketed IPv6 address if there is one.
    const port = /:([^:\]]*)$/.exec(host);
    if (port !== null && !/^\d*$/.test(port[1]!)) return undefined;
  }
  if (!rawPath.startsWith('/')) return undefined;
  const path = unescapePath(rawPath);
  return path === undefined ? undefined : { scheme, host, path, rawPath, query, fragment };
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * The page with the URL attributes of its tags rewritten by `rewrite`.
 * Comments, end tags, declarations and the text of raw-text elements
 * (scripts, styles) are passed over as they are.
 */
export function rewriteHtml(html: string, rewrite: (url: string) => string): string {
  const lower = html.toLowerCase();
  let out = '';
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf('<', at);
    if (open < 0) break;
    out += html.slice(at, open);
    at = open;
    const next = html[open + 1] ?? '';
    if (html.startsWith('<!--', open)) at = skipPast(html, '-->', open + 4);
    else if (next === '!' || next === '?' || next === '/') at = skipPast(html, '>', open + 2);
    else if (/[a-zA-Z]/.test(next)) {
      const tag = startTag(html, open);
      out += rewriteTag(html.slice(open, tag.end), open, tag, rewrite);
      at = tag.end;
      if (RAW_TEXT.has(tag.name)) {
        const close = tag.name === 'plaintext' ? -1 : lower.indexOf(`</${tag.name}`, at);
        const end = close < 0 ? html.length : close;
        out += html.slice(at, end);
        at = end;
      }
      continue;
    } else at = open + 1;
    out += html.slice(open, at);
  }
  return out + html.slice(at);
}

function skipPast(html: string, marker: string, from: number): number {
  const found = html.indexOf(marker, from);
  return found < 0 ? html.length : found + marker.length;
}

interface StartTag {
  readonly name: string;
  /** Just past the tag's `>` (or the end of the page). */
  readonly end: number;
  readonly attributes: readonly { readonly name: string; readonly start: number; readonly end: number }[];
}

/** A start tag at `open`, its attributes' values located, as HTML's tokenizer reads them. */
function startTag(html: string, open: number): StartTag {
  let at = open + 1;
  const nameEnd = until(html, at, /[\s/>]/);
  const name = html.slice(at, nameEnd).toLowerCase();
  at = nameEnd;
  const attributes: { name: string; start: number; end: number }[] = [];
  while (at < html.length) {
    at = until(html, at, /[^\s/]/);
    if (at >= html.length || html[at] === '>') break;
    // An attribute name runs to a space, "/", ">" or "=" (a leading "=" is part of it).
    const keyEnd = until(html, at + 1, /[\s/>=]/);
    const key = html.slice(at, keyEnd).toLowerCase();
    at = until(html, keyEnd, /\S/);
    if (html[at] !== '=') continue;
    at = until(html, at + 1, /\S/);
    const quote = html[at];
    if (quote === '"' || quote === "'") {
      const close = html.indexOf(quote, at + 1);
      const end = close < 0 ? html.length : close;
      attributes.push({ name: key, start: at + 1, end });
      at = close < 0 ? end : end + 1;
    } else {
      const end = until(html, at, /[\s>]/);
      attributes.push({ name: key, start: at, end });
      at = end;
    }
  }
  return { name, end: Math.min(at + 1, html.length), attributes };
}

/** The first index from `from` whose character matches `pattern`, or the length. */
function until(html: string, from: number, pattern: RegExp): number {
  let at = from;
  while (at < html.length && !pattern.test(html[at]!)) at++;
  return at;
}

function rewriteTag(text: string, offset: number, tag: StartTag, rewrite: (url: string) => string): string {
  const names = URL_ATTRIBUTES[tag.name];
  if (names === undefined) return text;
  let out = '';
  let at = 0;
  for (const attribute of tag.attributes) {
    if (!names.includes(attribute.name)) continue;
    const [start, end] = [attribute.start - offset, attribute.end - offset];
    out += text.slice(at, start) + rewrite(text.slice(start, end));
    at = end;
  }
  return out + text.slice(at);
}
