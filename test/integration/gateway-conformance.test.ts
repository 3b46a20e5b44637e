// The core cases of the Gateway API mesh conformance suite (GAMMA,
// conformance/tests/mesh-*.go), rewritten as meshlet tests: each HTTPRoute of
// the suite becomes the mesh.yaml routes of one service, and the caller is an
// app talking through its own sidecar. The mapping of HTTPRoute fields to
// mesh.yaml is in docs/configuration.md ("Traffic policy").
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningSidecar, startSidecar, startVersions, tempDir } from '../helpers/mesh.ts';
import { callVia, closeAgent } from '../helpers/mtls.ts';

describe('Gateway API mesh conformance (core), as meshlet tests', () => {
  let versions: Awaited<ReturnType<typeof startVersions>>;
  let sidecar: RunningSidecar;

  before(async () => {
    versions = await startVersions(['v1', 'v2']);
    const v = (name: string) => `{ host: 127.0.0.1, port: ${versions.ports[name]} }`;
    const both = `versions: { v1: ${v('v1')}, v2: ${v('v2')} }`;
    const configFile = join(tempDir(), 'mesh.yaml');
    writeFileSync(
      configFile,
      `mtls: disable
services:
  # MeshBasic: a Service with no HTTPRoute is reachable.
  echo:
    versions: { v1: ${v('v1')} }
  # MeshTrafficSplit: backendRefs with weights 70 and 30.
  split:
    ${both}
    routes:
      - split: { v1: 70, v2: 30 }
  # MeshHTTPRouteMatching (path): PathPrefix /v2 → v2, the rest → v1.
  prefix:
    ${both}
    routes:
      - match: { path: { prefix: /v2 } }
        split: { v2: 1 }
      - match: { path: { prefix: / } }
        split: { v1: 1 }
  # MeshHTTPRouteMatching (headers): version: two → v2, the rest → v1.
  hdr:
    ${both}
    routes:
      - match: { headers: { version: { exact: two } } }
        split: { v2: 1 }
      - split: { v1: 1 }
  # MeshHTTPRouteRequestHeaderModifier: set, add and remove.
  modifier:
    ${both}
    routes:
      - match: { path: { prefix: /set } }
        split: { v1: 1 }
        headers: { request: { set: { x-header-set: set-overwrites-values } } }
      - match: { path: { prefix: /add } }
        split: { v1: 1 }
        headers: { request: { add: { x-header-add: add-appends-values } } }
      - match: { path: { prefix: /remove } }
        split: { v1: 1 }
        headers: { request: { remove: [x-header-remove] } }
  # MeshHTTPRouteRedirectHostAndStatus: RequestRedirect with hostname and statusCode.
  redirect:
    ${both}
    routes:
      - match: { path: { prefix: /hostname-redirect } }
        redirect: { host: example.org }
      - match: { path: { prefix: /host-and-status } }
        redirect: { host: example.org, status: 301 }
  # A listed service whose routes match nothing: 404 NR.
  nomatch:
    ${both}
    routes:
      - match: { path: { exact: /only } }
        split: { v1: 1 }
`,
    );
    sidecar = await startSidecar({ configFile });
  });
  after(async () => {
    await sidecar.stop();
    await versions.close();
    await closeAgent();
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}) =>
    callVia(sidecar.outbound, host, path, 'GET', headers);
  const seenHeaders = (body: string) => JSON.parse(body).headers as IncomingHttpHeaders;

  it('MeshBasic: a listed service is reachable', async () => {
    const r = await get('echo', '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-served-by'], 'v1');
  });

  it('MeshTrafficSplit: 70/30 within ±5 % over 500 requests', async (t) => {
    let v1 = 0;
    for (let i = 0; i < 500; i++) {
      const r = await get('split', `/${i}`);
      assert.equal(r.status, 200);
      if (r.headers['x-served-by'] === 'v1') v1++;
    }
    const share = v1 / 500;
    t.diagnostic(`v1 share ${share}`);
    assert.ok(share >= 0.65 && share <= 0.75, `v1 got ${v1} of 500`);
  });

  it('MeshHTTPRouteMatching: path prefixes match on segment boundaries', async () => {
    const cases: Array<[string, string]> = [
      ['/', 'v1'],
      ['/v2', 'v2'],
      ['/v2/', 'v2'],
      ['/v2/example', 'v2'],
      ['/v2example', 'v1'],
      ['/v2?x=1', 'v2'],
    ];
    for (const [path, expected] of cases) {
      const r = await get('prefix', path);
      assert.equal(r.headers['x-served-by'], expected, path);
    }
  });

  it('MeshHTTPRouteMatching: header matching', async () => {
    assert.equal((await get('hdr', '/', { version: 'two' })).headers['x-served-by'], 'v2');
    assert.equal((await get('hdr', '/', { version: 'one' })).headers['x-served-by'], 'v1');
    assert.equal((await get('hdr', '/', { version: 'TWO' })).headers['x-served-by'], 'v1');
    assert.equal((await get('hdr', '/')).headers['x-served-by'], 'v1');
  });

  it('MeshHTTPRouteRequestHeaderModifier: set, add and remove', async () => {
    const set = seenHeaders((await get('modifier', '/set', { 'x-header-set': 'some-other-value' })).body);
    assert.equal(set['x-header-set'], 'set-overwrites-values');
    const setNew = seenHeaders((await get('modifier', '/set')).body);
    assert.equal(setNew['x-header-set'], 'set-overwrites-values');
    const add = seenHeaders((await get('modifier', '/add', { 'x-header-add': 'header-val-1' })).body);
    assert.equal(add['x-header-add'], 'header-val-1, add-appends-values');
    const addNew = seenHeaders((await get('modifier', '/add')).body);
    assert.equal(addNew['x-header-add'], 'add-appends-values');
    const remove = seenHeaders(
      (await get('modifier', '/remove', { 'x-header-remove': 'val', 'x-header-keep': 'kept' })).body,
    );
    assert.equal(remove['x-header-remove'], undefined);
    assert.equal(remove['x-header-keep'], 'kept');
  });

  it('MeshHTTPRouteRedirectHostAndStatus: 302 by default, 301 when set, the host replaced', async () => {
    const r302 = await get('redirect', '/hostname-redirect');
    assert.equal(r302.status, 302);
    assert.equal(r302.headers.location, 'http://example.org/hostname-redirect');
    const r301 = await get('redirect', '/host-and-status');
    assert.equal(r301.status, 301);
    assert.equal(r301.headers.location, 'http://example.org/host-and-status');
  });

  it('a request that matches none of a listed service’s routes answers 404 NR', async () => {
    const r = await get('nomatch', '/other');
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-meshlet-error'], 'NR');
    assert.equal((await get('nomatch', '/only')).status, 200);
  });
});
