// Random HTTP/1.1 request heads, written byte for byte on raw TCP sockets to
// both listeners of one live sidecar (outbound and plaintext inbound) in front
// of a real app. After every input: the process is alive, a normal request
// still answers 200, every reply is well-formed HTTP, every reply the sidecar
// wrote itself carries an `x-meshlet-error` flag, and a request that is valid
// HTTP reaches the app. The issue's concrete cases run first as examples.
// Budget and seed: see docs/testing.md.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { APP_MARK, checkProperty, fuzzSettings, LiveSidecar, startFuzzApp } from '../helpers/fuzz.ts';
import { freePort, type RunningSidecar, serviceYaml } from '../helpers/mesh.ts';
import {
  headerValue,
  RawConnection,
  type RawResponse,
  type ReadResult,
  rawRequest,
} from '../helpers/raw-http.ts';

type Framing =
  | 'none'
  | 'cl'
  | 'chunked'
  | 'cl+te'
  | 'cl-dup-same'
  | 'cl-dup-diff'
  | 'cl-bad'
  | 'te-bad'
  | 'te-dup';

/** One input. `{app}` and `{closed}` in the strings stand for the app's port and a port nobody listens on. */
interface Head {
  method: string;
  target: string;
  /** One `Host:` line per entry (none, one, or two). */
  hosts: string[];
  fields: Array<[string, string]>;
  framing: Framing;
  bodySize: number;
  /** After the reply: nothing, a second request on the same connection, or one written right behind the first. */
  next: 'nothing' | 'follow-up' | 'pipelined';
  /** Send half the body, give the reply 300 ms to come early, then the rest (a client still uploading). */
  pauseMidBody: boolean;
}

const KNOWN_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'];
const ROUTED_HOSTS = ['reviews', 'reviews:9080', 'reviews.default', 'reviews.default.svc.cluster.local:9080'];
const PASSTHROUGH_HOSTS = ['127.0.0.1:{app}', 'localhost:{app}'];
const APP_PATHS = [
  '/',
  '/early-413',
  '/continue',
  '/error',
  '/kv',
  '/hop-resp',
  '/a/b?x=1&y=2',
  '/index.html',
];
const ROUTED_ABSOLUTE = [
  'http://reviews/',
  'http://reviews:9080/a?b=1',
  'http://reviews.default.svc.cluster.local/kv',
];
const BAD_HOSTS = [
  '127.0.0.1:99999',
  'a b',
  '[',
  '%',
  'a/b',
  'svc:99999',
  '',
  ':80',
  'reviews:',
  'reviews:0',
  'reviews:-1',
  '[::1',
  '[::1]x',
  'reviews:9080:1',
  '127.0.0.1:65536',
  '@',
  'u@reviews',
  'reviews?x',
  'reviews#x',
  'x'.repeat(300),
];

/** Any byte but a CR directly followed by LF (that would end the line and change what the input means). */
const bytes = (maxLength: number) =>
  fc
    .string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength })
    .map((s) => s.replace(/\r\n/g, '\r'));
const tokenChars = fc.constantFrom(
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&'*+^`|~",
);
const token = fc.string({ unit: tokenChars, minLength: 1, maxLength: 24 });
const visible = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KNOWN_METHODS) },
  { weight: 1, arbitrary: fc.constantFrom('CONNECT', 'TRACE', 'FOO', 'M-SEARCH', 'PROPFIND', 'get') },
  { weight: 1, arbitrary: fc.constantFrom('G ET', '', 'GET\x00', 'G\xffT', 'GET/', 'GET\t') },
  { weight: 1, arbitrary: bytes(10) },
);

const target = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...APP_PATHS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...ROUTED_ABSOLUTE, 'http://127.0.0.1:{app}/', 'http://localhost:{app}/x'),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'http://127.0.0.1:99999/',
      'http://a b/',
      'http://[/',
      'http://%/',
      'http://[::1]:{closed}/',
      'http://:80/',
      'http:///',
      'https://reviews/',
      'ftp://reviews/',
      'http://reviews:0/',
      'http://u:p@reviews/',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('reviews:9080', '127.0.0.1:{app}', '127.0.0.1:99999', '[::1]:{closed}', 'a:b'),
  },
  { weight: 1, arbitrary: fc.constantFrom('*', '', 'x', '//', '/%zz', '/\x01', `/${'a'.repeat(9000)}`) },
  { weight: 1, arbitrary: bytes(30).map((s) => `/${s}`) },
);

const host = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ROUTED_HOSTS) },
  { weight: 2, arbitrary: fc.constantFrom(...PASSTHROUGH_HOSTS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '127.0.0.1:{closed}',
      '[::1]:{closed}',
      'x.invalid',
      'x.invalid:8080',
      'evil.example',
    ),
  },
  { weight: 3, arbitrary: fc.constantFrom(...BAD_HOSTS) },
  { weight: 1, arbitrary: bytes(20) },
);
const hosts = fc.oneof(
  { weight: 12, arbitrary: host.map((h) => [h]) },
  { weight: 1, arbitrary: fc.constant([] as string[]) },
  { weight: 2, arbitrary: fc.tuple(host, host) },
);

/** Headers that are valid HTTP, including the hop-by-hop cases the issue names. */
const cleanGroup = fc.constantFrom<Array<[string, string]>>(
  [['Accept', '*/*']],
  [['User-Agent', 'fuzz/1']],
  [
    ['Connection', 'keep-alive, x-drop-a'],
    ['Connection', 'x-drop-b'],
    ['x-drop-a', '1'],
    ['x-drop-b', '2'],
  ],
  [
    ['Connection', 'Upgrade, HTTP2-Settings'],
    ['Upgrade', 'h2c'],
    ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA'],
  ],
  [['Expect', '100-continue']],
  [['TE', 'trailers']],
  [['Connection', 'close']],
  [['x-forwarded-for', '1.2.3.4']],
  [['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']],
);
const dirtyValue = fc.oneof(
  visible,
  fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  bytes(20),
  fc.integer({ min: 5000, max: 20_000 }).map((n) => 'v'.repeat(n)),
  fc.constant(''),
);
const field = fc.oneof(
  { weight: 4, arbitrary: cleanGroup },
  { weight: 2, arbitrary: fc.tuple(token, visible).map((f) => [f]) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(token, bytes(12)), dirtyValue).map((f) => [f]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Array<[string, string]>>(
      [['Expect', 'something-else']],
      [['Upgrade', 'websocket, h2c']],
      [['Content-Type', 'text/plain\x00']],
      [['x a', 'b']],
      [[' x', 'b']],
      [['x', 'a\rb']],
      [['x', 'a\nb']],
      [['Connection', 'Host']],
      [['Connection', 'x-meshlet-error']],
    ),
  },
);
const fields = fc.array(field, { maxLength: 4 }).map((groups) => groups.flat());

const framing = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Framing>('none') },
  { weight: 3, arbitrary: fc.constant<Framing>('cl') },
  { weight: 2, arbitrary: fc.constant<Framing>('chunked') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Framing>('cl+te', 'cl-dup-same', 'cl-dup-diff', 'cl-bad', 'te-bad', 'te-dup'),
  },
);

const headArb: fc.Arbitrary<Head> = fc.record({
  method,
  target,
  hosts,
  fields,
  framing,
  bodySize: fc.oneof({ weight: 4, arbitrary: fc.nat(100) }, { weight: 1, arbitrary: fc.nat(300_000) }),
  next: fc.constantFrom('nothing', 'follow-up', 'pipelined'),
  pauseMidBody: fc.boolean(),
});

const head = (over: Partial<Head>): Head => ({
  method: 'GET',
  target: '/',
  hosts: ['reviews'],
  fields: [],
  framing: 'none',
  bodySize: 0,
  next: 'nothing',
  pauseMidBody: false,
  ...over,
});

/** Every request-level case listed in issue 10 ("What was found"). */
const CORPUS: Head[] = [
  ...['127.0.0.1:99999', 'a b', '[', '%', 'a/b', 'svc:99999'].map((h) => head({ hosts: [h] })),
  head({ hosts: ['::1'] }),
  // the upstream answers 413 before reading a 200 KB body; the next request on the connection must be answered
  head({
    method: 'POST',
    target: '/early-413',
    framing: 'cl',
    bodySize: 200_000,
    next: 'follow-up',
    pauseMidBody: true,
  }),
  // an unsolicited 100 Continue from the upstream before its 200
  head({ target: '/continue' }),
  head({ hosts: ['reviews', 'reviews'] }),
  head({ hosts: ['reviews', 'evil.example'] }),
  // absolute-form names the service; the Host header must be replaced by that authority
  head({ target: 'http://reviews/x', hosts: ['evil.example'] }),
  // a pipelined PUT then GET must see the new value
  head({ method: 'PUT', target: '/kv', framing: 'cl', bodySize: 20, next: 'pipelined' }),
  head({ method: 'CONNECT', target: '127.0.0.1:{app}', hosts: ['127.0.0.1:{app}'] }),
  head({
    fields: [
      ['Connection', 'Upgrade, HTTP2-Settings'],
      ['Upgrade', 'h2c'],
      ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA'],
    ],
  }),
  head({
    fields: [
      ['Connection', 'keep-alive'],
      ['Connection', 'x-drop-b'],
      ['x-drop-b', '2'],
    ],
  }),
  // the same on responses: the app names a header on its second Connection line
  head({ target: '/hop-resp' }),
  head({ method: 'POST', framing: 'cl+te', bodySize: 5 }),
  head({ method: 'POST', framing: 'cl-dup-diff', bodySize: 3 }),
  // Found by this fuzzer (named tests in test/integration/http1-edge.test.ts):
  // a Transfer-Encoding without chunked: 400 DPE and close (RFC 9112 §6.3), not a silent close
  head({ framing: 'te-bad' }),
  head({ method: 'POST', framing: 'te-bad', bodySize: 10, next: 'pipelined' }),
  // CONNECT where no tunnel is offered (inbound): a flagged answer, not a silent close
  head({ method: 'CONNECT', target: '*' }),
  head({ method: 'CONNECT', target: '/' }),
  // an expectation we cannot meet: a flagged 417; 100-continue keeps working
  head({ fields: [['Expect', 'something-else']] }),
  head({ hosts: ['reviews', '127.0.0.1:99999'], fields: [['Expect', 'something-else']] }),
  head({ method: 'POST', fields: [['Expect', '100-continue']], framing: 'cl', bodySize: 10 }),
  // a request pipelined behind an h2c offer: answered, or the offer's reply says close
  head({
    fields: [
      ['Connection', 'Upgrade, HTTP2-Settings'],
      ['Upgrade', 'h2c'],
      ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA'],
    ],
    next: 'pipelined',
  }),
  // an upgrade offer the WebSocket proxy would drop silently (a list, a second line) is served over HTTP/1.1
  head({
    fields: [
      ['Connection', 'Upgrade'],
      ['Upgrade', 'h2c'],
      ['Upgrade', 'websocket, h2c'],
    ],
  }),
  head({
    method: 'POST',
    fields: [
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
    ],
  }),
  // what follows a `Connection: close` request is discarded; the first is answered
  head({ fields: [['Connection', 'close']], next: 'pipelined' }),
  // a DPE closes the connection: the request pipelined behind it is never forwarded
  head({ hosts: ['reviews', 'reviews'], next: 'pipelined' }),
];

interface Built {
  bytes: Buffer;
  /** Where the body starts in `bytes`. */
  bodyAt: number;
  method: string;
  kvValue: string | undefined;
}

function build(h: Head, ports: { app: number; closed: number }, run: number): Built {
  const fill = (s: string) =>
    s.replaceAll('{app}', String(ports.app)).replaceAll('{closed}', String(ports.closed));
  const lines = [`${h.method} ${fill(h.target)} HTTP/1.1`];
  for (const v of h.hosts) lines.push(`Host: ${fill(v)}`);
  for (const [n, v] of h.fields) lines.push(`${n}: ${fill(v)}`);
  const isKvPut = h.method === 'PUT' && h.target === '/kv';
  const body = isKvPut ? `run-${run}-`.padEnd(h.bodySize, 'b') : 'b'.repeat(h.bodySize);
  const chunked = body === '' ? '0\r\n\r\n' : `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  let payload = '';
  switch (h.framing) {
    case 'none':
      break;
    case 'cl':
      lines.push(`Content-Length: ${body.length}`);
      payload = body;
      break;
    case 'chunked':
      lines.push('Transfer-Encoding: chunked');
      payload = chunked;
      break;
    case 'cl+te':
      lines.push(`Content-Length: ${chunked.length}`, 'Transfer-Encoding: chunked');
      payload = chunked;
      break;
    case 'cl-dup-same':
      lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length}`);
      payload = body;
      break;
    case 'cl-dup-diff':
      lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`);
      payload = body;
      break;
    case 'cl-bad':
      lines.push(`Content-Length: ${body.length}x`);
      payload = body;
      break;
    case 'te-bad':
      lines.push('Transfer-Encoding: gzip');
      payload = body;
      break;
    case 'te-dup':
      lines.push('Transfer-Encoding: chunked', 'Transfer-Encoding: chunked');
      payload = chunked;
      break;
  }
  const headText = `${lines.join('\r\n')}\r\n\r\n`;
  return {
    bytes: Buffer.from(headText + payload, 'latin1'),
    bodyAt: Buffer.byteLength(headText, 'latin1'),
    method: h.method,
    kvValue: isKvPut && h.framing === 'cl' ? body : undefined,
  };
}

const GRAMMATICAL_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?$|^$/;

/** The reply the app should give, when the input is valid HTTP that must reach it; undefined otherwise. */
function expectedAppStatus(h: Head, listener: 'outbound' | 'inbound'): number | undefined {
  if (!KNOWN_METHODS.includes(h.method)) return undefined;
  if (h.hosts.length !== 1) return undefined;
  const hostValue = h.hosts[0]!;
  const m = GRAMMATICAL_HOST.exec(hostValue.replaceAll('{app}', '1').replaceAll('{closed}', '1'));
  if (m === null || (m[1] !== undefined && Number(m[1]) > 65535)) return undefined;
  if (!['none', 'cl', 'chunked'].includes(h.framing)) return undefined;
  for (const [n, v] of h.fields) {
    if (!TOKEN.test(n) || !FIELD_VALUE.test(v) || v.length > 4000) return undefined;
    if (
      /^(expect|upgrade|content-length|transfer-encoding|host)$/i.test(n) &&
      !/^(100-continue|h2c)$/i.test(v)
    ) {
      return undefined;
    }
    if (/^connection$/i.test(n) && /(^|,)\s*(host|x-meshlet-error)\s*(,|$)/i.test(v)) return undefined;
  }
  let path: string;
  if (APP_PATHS.includes(h.target)) {
    // origin-form: the Host decides where it goes
    const routed = ROUTED_HOSTS.includes(hostValue) || PASSTHROUGH_HOSTS.includes(hostValue);
    if (listener === 'outbound' && !routed) return undefined;
    path = h.target;
  } else if (listener === 'outbound' && ROUTED_ABSOLUTE_FORM.test(h.target)) {
    path = new URL(h.target).pathname;
  } else {
    return undefined;
  }
  if (path === '/early-413') return 413;
  if (path === '/error') return 500;
  return 200;
}

const ROUTED_ABSOLUTE_FORM =
  /^http:\/\/reviews(?:\.default(?:\.svc\.cluster\.local)?)?(?::9080)?\/[\w\-.~/?=&]*$/;
/** MESHLET_MAX_HEADER_BYTES of the sidecar under test. */
const HEADER_LIMIT = 16 * 1024;
const FOLLOW = 'GET /kv HTTP/1.1\r\nHost: reviews\r\n\r\n';

function describeRead(r: ReadResult): string {
  if (r.kind === 'response')
    return `${r.response.statusLine} ${JSON.stringify(r.response.headers).slice(0, 300)}`;
  return `${r.kind}${'reason' in r ? ` (${r.reason})` : ''}: ${JSON.stringify(r.bytes.slice(0, 200))}`;
}

/** A reply the sidecar wrote itself must say so with a flag; one from the app is passed through as it is. */
function assertFlaggedOrFromApp(res: RawResponse, method: string): void {
  if (headerValue(res, APP_MARK) !== undefined) return;
  if (method === 'CONNECT' && res.status === 200) return; // a tunnel opened by the sidecar
  assert.notEqual(res.status, 101, 'the sidecar switched protocols on its own');
  const flag = headerValue(res, 'x-meshlet-error');
  assert.ok(
    flag !== undefined && /^[A-Z]{2,5}$/.test(flag),
    `a reply of the sidecar has no x-meshlet-error flag: ${res.statusLine}`,
  );
  assert.ok(res.status >= 400, `a flagged reply with status ${res.status}`);
  // after a malformed request nothing later on the connection is trusted (docs/configuration.md)
  if (flag === 'DPE')
    assert.match(headerValue(res, 'connection') ?? '', /close/i, 'a DPE reply keeps the connection');
  const type = headerValue(res, 'content-type') ?? '';
  if (res.body.length > 0 && type.includes('json')) {
    const body = JSON.parse(res.body.toString('utf8')) as { flag?: string };
    assert.equal(body.flag, flag, 'the body names the same flag as the header');
  }
}

describe('fuzz: request heads on both listeners', () => {
  const { seed, seconds } = fuzzSettings(25);
  let app: Awaited<ReturnType<typeof startFuzzApp>>;
  let closed: number;
  let live: LiveSidecar;

  before(async () => {
    app = await startFuzzApp();
    closed = await freePort();
    live = new LiveSidecar(() => ({
      configText: serviceYaml('reviews', { v1: app.port }, '      - split: { v1: 1 }'),
      env: {
        MESHLET_APP_PORT: String(app.port),
        MESHLET_MAX_HEADER_BYTES: String(HEADER_LIMIT),
        MESHLET_HEADERS_TIMEOUT: '2s',
      },
    }));
    await live.ensure();
  });
  after(async () => {
    await live?.stop();
    await app?.close();
  });

  let run = 0;
  async function exercise(sidecar: RunningSidecar, listener: 'outbound' | 'inbound', h: Head): Promise<void> {
    const port = listener === 'outbound' ? sidecar.outbound : sidecar.inbound;
    const built = build(h, { app: app.port, closed }, ++run);
    const expected = expectedAppStatus(h, listener);
    const conn = new RawConnection(port);
    try {
      await exchange(conn, h, built, expected);
    } catch (err) {
      // an input that killed the process shows as a failure on its own socket: report the death instead
      await Promise.race([sidecar.exited, sleep(300)]);
      live.assertAlive(sidecar, `${listener} input ${JSON.stringify(h).slice(0, 300)}`);
      throw err;
    } finally {
      conn.destroy();
    }
    const normal = await rawRequest(
      port,
      'GET / HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n',
      'GET',
      5000,
    );
    if (normal.kind !== 'response') await Promise.race([sidecar.exited, sleep(500)]);
    live.assertAlive(sidecar, `${listener} input ${JSON.stringify(h).slice(0, 300)}`);
    assert.equal(
      normal.kind === 'response' ? normal.response.status : describeRead(normal),
      200,
      'a normal request afterwards',
    );
  }

  async function exchange(
    conn: RawConnection,
    h: Head,
    built: Built,
    expected: number | undefined,
  ): Promise<void> {
    const tail = Buffer.from(h.next === 'pipelined' ? FOLLOW : '');
    const bodyLength = built.bytes.length - built.bodyAt;
    let first: ReadResult;
    if (h.pauseMidBody && bodyLength > 1) {
      const mid = built.bodyAt + Math.floor(bodyLength / 2);
      await conn.send(built.bytes.subarray(0, mid));
      const early = await conn.read(built.method, 300);
      await conn.send(Buffer.concat([built.bytes.subarray(mid), tail]));
      first = early.kind === 'timeout' ? await conn.read(built.method, 5000) : early;
    } else {
      await conn.send(Buffer.concat([built.bytes, tail]));
      first = await conn.read(built.method, 5000);
    }
    // every input here is complete, so silence is a failure too (a silent close or a hang)
    assert.equal(first.kind, 'response', `no well-formed reply: ${describeRead(first)}`);
    if (first.kind !== 'response') return;
    const res = first.response;
    assertFlaggedOrFromApp(res, built.method);
    if (h.target.startsWith('/hop-resp') && headerValue(res, APP_MARK) !== undefined) {
      assert.equal(
        headerValue(res, 'x-resp-drop'),
        undefined,
        'a header the app named in Connection reached the client',
      );
    }
    if (h.hosts.length === 2 || h.framing === 'cl-dup-diff' || h.framing === 'cl+te') {
      // a head over the size limit may be refused for its size first (431); otherwise 400
      const allowed = built.bodyAt > HEADER_LIMIT - 1024 ? [400, 431] : [400];
      assert.ok(allowed.includes(res.status), `two Host headers or conflicting framing: ${res.statusLine}`);
      assert.equal(headerValue(res, 'x-meshlet-error'), 'DPE');
    }
    if (h.framing === 'te-bad' && h.method !== 'CONNECT') {
      // a body length nobody can know: refused (400, or 431/417 when the head fails sooner)
      assert.equal(headerValue(res, 'x-meshlet-error'), 'DPE', `Transfer-Encoding: gzip: ${res.statusLine}`);
    }
    if (expected !== undefined) {
      assert.ok(
        headerValue(res, APP_MARK) !== undefined,
        `valid HTTP did not reach the app: ${describeRead(first)}`,
      );
      assert.equal(res.status, expected, `the app's status was not passed through: ${res.statusLine}`);
      const appPath = h.target.startsWith('/') ? h.target : new URL(h.target).pathname;
      if (res.status === 200 && appPath !== '/kv' && h.method !== 'HEAD') {
        const seen = JSON.parse(res.body.toString('utf8')) as { rawHeaders: string[] };
        const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
        const nominated = h.fields
          .filter(([n]) => /^connection$/i.test(n))
          .flatMap(([, v]) => v.split(',').map((t) => t.trim().toLowerCase()))
          .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive');
        for (const n of [...nominated, 'upgrade', 'http2-settings', 'te']) {
          if (n === 'te' && h.fields.some(([f, v]) => /^te$/i.test(f) && v === 'trailers')) continue;
          assert.ok(!names.includes(n), `hop-by-hop header ${n} reached the app`);
        }
        if (/^http:/.test(h.target)) {
          const seenHost =
            seen.rawHeaders[seen.rawHeaders.findIndex((n, i) => i % 2 === 0 && /^host$/i.test(n)) + 1];
          assert.equal(
            seenHost,
            new URL(h.target).host,
            'absolute-form: the app sees the target authority as Host',
          );
        }
      }
    }
    if (h.next !== 'nothing' && !conn.closed && !/close/i.test(headerValue(res, 'connection') ?? '')) {
      if (h.next === 'follow-up') await conn.send(FOLLOW);
      const second = await conn.read('GET', 5000);
      // a server may close a connection it keeps alive, but not leave the next request unanswered
      assert.ok(
        second.kind === 'response' || (second.kind === 'closed' && second.bytes === ''),
        `the next request on the connection: ${describeRead(second)}`,
      );
      if (second.kind === 'response') {
        assert.ok(
          headerValue(second.response, APP_MARK) !== undefined,
          `the next request did not reach the app: ${describeRead(second)}`,
        );
        if (built.kvValue !== undefined && h.next === 'pipelined' && expected !== undefined) {
          assert.equal(
            second.response.body.toString('latin1'),
            built.kvValue,
            'a pipelined GET after a PUT sees the new value',
          );
        }
      }
    }
  }

  for (const listener of ['outbound', 'inbound'] as const) {
    // Every corpus case on its own, so one failure does not hide the others (the property below stops at its first).
    it(`${listener}: every case of the seed corpus`, async () => {
      const failures: string[] = [];
      for (const h of CORPUS) {
        try {
          await exercise(await live.ensure(), listener, h);
        } catch (err) {
          failures.push(
            `${JSON.stringify(h)}\n    ${(err as Error).message.split('\n').slice(0, 3).join('\n    ')}`,
          );
        }
      }
      console.log(`[fuzz] corpus (${listener}): ${CORPUS.length - failures.length}/${CORPUS.length} pass`);
      assert.equal(failures.length, 0, `${failures.length} corpus cases fail:\n  ${failures.join('\n  ')}`);
    });

    it(`${listener}: the sidecar survives, stays serving, and answers bad input with a flagged well-formed error`, async () => {
      const ran = await checkProperty(
        `request heads (${listener})`,
        headArb,
        async (h) => exercise(await live.ensure(), listener, h),
        { seconds, seed, examples: CORPUS },
      );
      assert.ok(ran >= CORPUS.length);
    });
  }
});
