// The proxy's URL handling, case by case: Go's path joining and escaping,
// and the rewriting of a pod's links (upstream's rewriteURL and its HTML
// pass) to go through the proxy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rewriteHtml, rewriteUrl } from '../../server/api/http/proxy-rewrite.js';
import { escapePath, joinPath, joinPreservingTrailingSlash, unescapePath } from '../../server/api/http/proxy-url.js';

const PREFIX = '/api/v1/namespaces/default/services/web/proxy';
const links = { prefix: PREFIX, backendHost: '10.88.0.5:8080', requestHost: '127.0.0.1:8001' };

test("paths as Go's path.Join, JoinPreservingTrailingSlash and URL escaping make them", () => {
  assert.equal(joinPath('', ''), '');
  assert.equal(joinPath('/a//b/', '../c/'), '/a/c');
  assert.equal(joinPath('/p', '/../../x'), '/x');
  assert.equal(joinPreservingTrailingSlash('', '/'), '/');
  assert.equal(joinPreservingTrailingSlash('', ''), '');
  assert.equal(joinPreservingTrailingSlash('', '/a/./b/'), '/a/b/');
  assert.equal(joinPreservingTrailingSlash('/a/', ''), '/a/');
  // Decoded paths are bytes, one character each: \xe9 is the byte 0xE9.
  assert.equal(escapePath("/a b/(c)!'*~$&+,;=:@/\xe9?#"), "/a%20b/%28c%29%21%27%2A~$&+,;=:@/%E9%3F%23");
  assert.equal(escapePath(unescapePath('/%C3%A9%3F')!), '/%C3%A9%3F');
  assert.equal(unescapePath('/a%zz'), undefined);
});

test("a redirect's or link's URL: the pod's own host or the client's, by an absolute path, goes through the proxy", () => {
  const cases: [string, string][] = [
    ['/x', `${PREFIX}/x`],
    ['/x/', `${PREFIX}/x/`],
    ['/a//b/../c?q=1&r=%2F#frag', `${PREFIX}/a/c?q=1&r=%2F#frag`],
    ['/x?', `${PREFIX}/x?`],
    ['http://10.88.0.5:8080/landing', `${PREFIX}/landing`],
    // The client's own host stays, with the prefix.
    ['http://127.0.0.1:8001/landing', `http://127.0.0.1:8001${PREFIX}/landing`],
    // Already through the proxy.
    [`${PREFIX}/already`, `${PREFIX}/already`],
    ['http://10.88.0.5:8080/api/v1/namespaces/default/services/web/proxy/x', `${PREFIX}/x`],
    // Escaped as Go escapes a path it rebuilt.
    ['/a%20b/(c)', `${PREFIX}/a%20b/%28c%29`],
    // Left alone: other hosts, relative paths, opaque URLs, what Go cannot parse.
    ['https://example.com/x', 'https://example.com/x'],
    ['//elsewhere/x', '//elsewhere/x'],
    ['relative/x', 'relative/x'],
    ['http://10.88.0.5:8080', 'http://10.88.0.5:8080'],
    ['mailto:someone@example.com', 'mailto:someone@example.com'],
    ['/bad%zz', '/bad%zz'],
    ['http://host:port/x', 'http://host:port/x'],
    ['#top', '#top'],
  ];
  for (const [from, to] of cases) assert.equal(rewriteUrl(from, links), to, from);
});

test("an HTML page: the URL attributes of upstream's tags rewritten in place, scripts, styles, comments and other attributes as written", () => {
  const rewrite = (url: string) => rewriteUrl(url, links);
  const page = [
    '<!doctype html><HTML manifest="/app.appcache"><head><title>a <a href="/no"></title>',
    '<LINK REL=stylesheet HREF=/s.css><style>a { background: url(/bg.png) } </style>',
    "<script src='/app.js' defer></script><script>document.write('<img src=\"/w.png\">')</script></head>",
    '<body background="/bg.png"><a class="x" href = "/page" data-href="/other">a</a>',
    '<img longdesc="/d" src="/i.png" usemap="#m" alt="/alt"/><video poster="/p.jpg" src="/v.mp4"></video>',
    '<form action="/go"><button formaction="/b">b</button><input type=image src=/in.png formaction=/f></form>',
    '<object data="/o" classid="/c" codebase="/cb" usemap="/u"></object><iframe src="/f">&lt;a href="/raw"&gt;</iframe>',
    '<!-- <a href="/commented"> --><p>1 < 2 and <a href="/last">the end</a>',
  ].join('');
  const P = PREFIX;
  const expected = [
    `<!doctype html><HTML manifest="${P}/app.appcache"><head><title>a <a href="/no"></title>`,
    `<LINK REL=stylesheet HREF=${P}/s.css><style>a { background: url(/bg.png) } </style>`,
    `<script src='${P}/app.js' defer></script><script>document.write('<img src="/w.png">')</script></head>`,
    `<body background="${P}/bg.png"><a class="x" href = "${P}/page" data-href="/other">a</a>`,
    `<img longdesc="${P}/d" src="${P}/i.png" usemap="#m" alt="/alt"/><video poster="${P}/p.jpg" src="${P}/v.mp4"></video>`,
    `<form action="${P}/go"><button formaction="${P}/b">b</button><input type=image src=${P}/in.png formaction=${P}/f></form>`,
    `<object data="${P}/o" classid="${P}/c" codebase="${P}/cb" usemap="${P}/u"></object><iframe src="${P}/f">&lt;a href="/raw"&gt;</iframe>`,
    `<!-- <a href="/commented"> --><p>1 < 2 and <a href="${P}/last">the end</a>`,
  ].join('');
  assert.equal(rewriteHtml(page, rewrite), expected);
  // Bytes outside the links are left exactly as they were, an unclosed tag too.
  assert.equal(rewriteHtml('caf\xe9 <a href="/x"', rewrite), `caf\xe9 <a href="${P}/x"`);
  assert.equal(rewriteHtml('no tags at all', rewrite), 'no tags at all');
});
