import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadMeshText } from '../../../src/config/load.ts';
import { ProxyError } from '../../../src/errors.ts';
import {
  parseAuthority,
  type RequestHead,
  resolveConnect,
  resolveInbound,
  resolveOutbound,
  socketOrigin,
} from '../../../src/route/resolve.ts';

const SELF = { service: 's', workload: 's', namespace: 'default', version: 'v1', serviceAccount: 's' };

function meshOf(policy: 'allowAny' | 'registryOnly') {
  const loaded = loadMeshText(
    `outboundTrafficPolicy: ${policy}
services:
  reviews:
    port: 9080
    versions: { v1: { host: 127.0.0.1, port: 9081 }, v2: { host: 127.0.0.1, port: 9082 } }
    routes:
      - match: { path: { prefix: /api/ } }
        split: { v1: 1, v2: 1 }
`,
    'mesh.yaml',
    SELF,
  );
  assert.ok(loaded.ok);
  return loaded.mesh;
}
const ANY = meshOf('allowAny');
const REGISTRY = meshOf('registryOnly');

function head(url: string, ...headers: string[]): RequestHead {
  const lower: Record<string, string> = {};
  for (let i = 0; i < headers.length; i += 2) lower[headers[i]!.toLowerCase()] = headers[i + 1]!;
  return { method: 'GET', url, rawHeaders: headers, headers: lower };
}

function dpe(fn: () => unknown): ProxyError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProxyError, `not a ProxyError: ${err}`);
    return err;
  }
  assert.fail('did not throw');
}

describe('resolveOutbound', () => {
  it('resolves a listed service through its route to a version', () => {
    const t = resolveOutbound(ANY, head('/api/1', 'Host', 'reviews:9080'), () => 0);
    assert.equal(t.service?.name, 'reviews');
    assert.equal(t.version?.name, 'v1');
    assert.equal(t.origin, 'http://127.0.0.1:9081');
    assert.equal(t.absoluteForm, false);
  });
  it('answers 404 NR for a listed service whose routes do not match', () => {
    const err = dpe(() => resolveOutbound(ANY, head('/other', 'Host', 'reviews'), () => 0));
    assert.equal(err.flag, 'NR');
    assert.equal(err.status, 404);
  });
  it('answers 502 NR for a host outside the registry under registryOnly', () => {
    const err = dpe(() => resolveOutbound(REGISTRY, head('/', 'Host', 'example.com'), () => 0));
    assert.equal(err.flag, 'NR');
    assert.equal(err.status, 502);
  });
  it('passes an unlisted host through under allowAny, to the captured destination when there is one', () => {
    assert.equal(
      resolveOutbound(ANY, head('/', 'Host', 'Example.com'), () => 0).origin,
      'http://example.com:80',
    );
    const dst = { address: '10.0.0.7', port: 8443, family: 4 };
    assert.equal(resolveOutbound(ANY, head('/', 'Host', 'x'), () => 0, dst).origin, 'http://10.0.0.7:8443');
    const v6 = { address: 'fd00::7', port: 80, family: 6 };
    assert.equal(resolveOutbound(ANY, head('/', 'Host', 'x'), () => 0, v6).origin, 'http://[fd00::7]:80');
  });
  for (const host of [
    '127.0.0.1:99999',
    'a b',
    '[',
    '%',
    'a/b',
    'svc:99999',
    'svc:0',
    '1.2.3.999',
    'a:b:c',
    '[::1',
    '[fe80::1%eth0]',
  ])
    it(`answers 400 DPE for Host '${host}', in a Host header and in an absolute-form target`, () => {
      assert.equal(dpe(() => resolveOutbound(ANY, head('/', 'Host', host), () => 0)).flag, 'DPE');
      // In a target, '/' ends the authority: `http://a/b/x` names host `a`, which is fine.
      if (!host.includes('/'))
        assert.equal(
          dpe(() => resolveOutbound(ANY, head(`http://${host}/x`, 'Host', 'ok'), () => 0)).flag,
          'DPE',
        );
    });
  for (const dst of [
    { address: '127.0.0.1', port: 99999, family: 4 },
    { address: 'a b', port: 80, family: 4 },
    { address: '[', port: 80, family: 6 },
    { address: '%', port: 80, family: 4 },
    { address: '10.0.0.1', port: 0, family: 4 },
    { address: '10.0.0.1', port: Number.NaN, family: 4 },
  ])
    it(`answers 400 DPE for a captured destination ${JSON.stringify(dst)}`, () => {
      assert.equal(dpe(() => resolveOutbound(ANY, head('/', 'Host', 'x'), () => 0, dst)).flag, 'DPE');
      assert.throws(() => socketOrigin(dst), ProxyError);
    });
  it('answers 400 DPE for two Host headers', () => {
    const err = dpe(() => resolveOutbound(ANY, head('/api/1', 'Host', 'reviews', 'host', 'other'), () => 0));
    assert.equal(err.flag, 'DPE');
    assert.equal(err.status, 400);
  });
  it('takes the authority of an absolute-form target over the Host header, and says so', () => {
    const t = resolveOutbound(ANY, head('http://reviews/api/1?q=1', 'Host', 'evil.example'), () => 0);
    assert.equal(t.service?.name, 'reviews');
    assert.equal(t.authority, 'reviews');
    assert.equal(t.absoluteForm, true);
    assert.equal(t.path, '/api/1?q=1');
  });
  it('refuses a request that already passed a meshlet outbound (a loop)', () => {
    const err = dpe(() => resolveOutbound(ANY, head('/', 'Host', 'x', 'x-meshlet-source', 'a;b;c'), () => 0));
    assert.deepEqual([err.flag, err.status], ['NR', 502]);
  });
  it('accepts an IPv6 literal and an empty port', () => {
    assert.deepEqual(parseAuthority('[::1]:8080'), { host: '[::1]', port: 8080 });
    assert.deepEqual(parseAuthority('svc:'), { host: 'svc', port: null });
    assert.equal(resolveOutbound(ANY, head('/', 'Host', '[::1]:8080'), () => 0).origin, 'http://[::1]:8080');
  });
});

describe('resolveInbound', () => {
  it('goes to the app port unless the caller dialled another container port', () => {
    assert.equal(resolveInbound(head('/x'), 8080, 15006).origin, 'http://127.0.0.1:8080');
    assert.equal(
      resolveInbound(head('/x'), 8080, 15006, { address: '10.0.0.1', port: 9090, family: 4 }).origin,
      'http://127.0.0.1:9090',
    );
    assert.equal(
      resolveInbound(head('/x'), 8080, 15006, { address: '10.0.0.1', port: 70000, family: 4 }).origin,
      'http://127.0.0.1:8080',
    );
  });
  it('answers 400 DPE for a target that is neither origin- nor absolute-form', () => {
    assert.equal(dpe(() => resolveInbound(head('*'), 8080, 15006)).flag, 'DPE');
  });
});

describe('resolveConnect', () => {
  it('tunnels an unlisted host under allowAny', () => {
    assert.deepEqual(resolveConnect(ANY, head('example.com:443')), { host: 'example.com', port: 443 });
  });
  it('answers 502 NR for an unlisted host under registryOnly', () => {
    const err = dpe(() => resolveConnect(REGISTRY, head('example.com:443')));
    assert.deepEqual([err.flag, err.status], ['NR', 502]);
  });
  it('refuses to tunnel to a listed mesh service (404 NR)', () => {
    const err = dpe(() => resolveConnect(ANY, head('reviews:9080')));
    assert.deepEqual([err.flag, err.status], ['NR', 404]);
  });
  it('answers 400 DPE for a target without a valid port', () => {
    for (const t of ['example.com', 'example.com:99999', 'a b:1', '/'])
      assert.equal(dpe(() => resolveConnect(ANY, head(t))).flag, 'DPE', t);
  });
});

describe('resolve never throws anything but ProxyError (property)', () => {
  const authorityChars = fc.constantFrom(...'abcz019.-_~:[]%/ @?#\\\t'.split(''), 'é', '\u0000', '0x');
  const authority = fc.oneof(
    fc.string({ unit: authorityChars, maxLength: 30 }),
    fc.string({ maxLength: 30 }),
    fc.tuple(fc.domain(), fc.integer({ min: -10, max: 200_000 })).map(([d, p]) => `${d}:${p}`),
    fc.ipV6().map((ip) => `[${ip}]`),
    fc.ipV4Extended(),
  );
  const target = fc.oneof(
    fc.constant('/'),
    fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
    authority.map((a) => `http://${a}/p`),
    fc.string({ maxLength: 40 }),
  );
  const dst = fc.record({
    address: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })),
    port: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.double()),
    family: fc.constantFrom(4, 6),
  });
  const onlyProxyErrors = (fn: () => unknown): boolean => {
    try {
      fn();
      return true;
    } catch (err) {
      return err instanceof ProxyError;
    }
  };
  it('for random authorities, request targets and captured destinations', () => {
    fc.assert(
      fc.property(
        authority,
        target,
        fc.option(dst, { nil: undefined }),
        fc.boolean(),
        (host, url, d, twoHosts) => {
          const raw = twoHosts ? ['Host', host, 'Host', host] : ['Host', host];
          const req = { method: 'GET', url, rawHeaders: raw, headers: { host } };
          return (
            onlyProxyErrors(() => resolveOutbound(ANY, req, Math.random, d)) &&
            onlyProxyErrors(() => resolveOutbound(REGISTRY, req, Math.random, d)) &&
            onlyProxyErrors(() => resolveInbound(req, 8080, 15006, d)) &&
            onlyProxyErrors(() => resolveConnect(ANY, { ...req, url: host }))
          );
        },
      ),
      { seed: 20261202, numRuns: 3000, interruptAfterTimeLimit: 10_000 },
    );
  });
  it('whatever resolve accepts becomes a URL that parses', () => {
    fc.assert(
      fc.property(authority, fc.option(dst, { nil: undefined }), (host, d) => {
        let origin: string;
        try {
          origin = resolveOutbound(ANY, head('/', 'Host', host), Math.random, d).origin;
        } catch (err) {
          return err instanceof ProxyError;
        }
        new URL(origin);
        return true;
      }),
      { seed: 20261203, numRuns: 3000, interruptAfterTimeLimit: 10_000 },
    );
  });
});
