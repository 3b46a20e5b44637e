import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMeshText } from '../../../src/config/load.ts';
import type { CompiledRoute } from '../../../src/config/types.ts';
import { cookieValue, fnv1a, pickVersion, stickyKeyOf } from '../../../src/route/pick.ts';

function route(split: string, sticky = ''): CompiledRoute {
  const text = `services:\n  r:\n    versions: { v1: { host: a }, v2: { host: b }, v3: { host: c } }\n    routes:\n      - split: ${split}\n${sticky}`;
  const r = loadMeshText(text, 'm', {
    service: 's',
    workload: 's',
    namespace: 'default',
    version: 'v1',
    serviceAccount: 's',
  });
  assert.ok(r.ok);
  return r.mesh.services.get('r')!.routes[0]!;
}

describe('pickVersion', () => {
  it('maps the random point onto cumulative weights exactly', () => {
    const r = route('{ v1: 70, v2: 20, v3: 10 }');
    const at = (x: number) => pickVersion(r, () => x, undefined).name;
    assert.equal(at(0), 'v1');
    assert.equal(at(0.699), 'v1');
    assert.equal(at(0.7), 'v2');
    assert.equal(at(0.899), 'v2');
    assert.equal(at(0.9), 'v3');
    assert.equal(at(0.9999), 'v3');
  });

  it('skips zero weights', () => {
    const r = route('{ v1: 0, v2: 1, v3: 0 }');
    for (const x of [0, 0.5, 0.99]) assert.equal(pickVersion(r, () => x, undefined).name, 'v2');
  });

  it('a sticky key ignores the random source and stays put', () => {
    const r = route('{ v1: 1, v2: 1, v3: 1 }');
    for (const key of ['alice', 'bob', 'carol']) {
      const first = pickVersion(r, () => 0, key).name;
      assert.equal(pickVersion(r, () => 0.99, key).name, first);
    }
  });

  it('reads the sticky key from a header or a cookie', () => {
    const byHeader = route('{ v1: 1, v2: 1 }', '        sticky: { header: X-User }\n');
    assert.equal(stickyKeyOf(byHeader, { 'x-user': 'jason' }), 'jason');
    const byCookie = route('{ v1: 1, v2: 1 }', '        sticky: { cookie: sid }\n');
    assert.equal(stickyKeyOf(byCookie, { cookie: 'a=1; sid=xyz; b=2' }), 'xyz');
    assert.equal(stickyKeyOf(byCookie, {}), undefined);
    assert.equal(cookieValue('sidx=1; sid=2', 'sid'), '2');
  });

  it('FNV-1a matches the reference vectors', () => {
    assert.equal(fnv1a(''), 0x811c9dc5);
    assert.equal(fnv1a('a'), 0xe40c292c);
    assert.equal(fnv1a('foobar'), 0xbf9cf968);
  });
});
