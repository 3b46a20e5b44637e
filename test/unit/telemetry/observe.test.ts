import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMeshText } from '../../../src/config/load.ts';
import { AccessLog } from '../../../src/telemetry/access-log.ts';
import {
  inboundLabels,
  MAX_LABEL_SETS,
  outboundLabels,
  parseSource,
  RecorderCache,
} from '../../../src/telemetry/labels.ts';
import { observe, recordRefused } from '../../../src/telemetry/observe.ts';
import { recordingLog, recordingMetrics, recordingTracing } from '../../helpers/telemetry-fakes.ts';

const SELF = {
  service: 'reviews',
  workload: 'reviews',
  namespace: 'default',
  version: 'v1',
  serviceAccount: 'reviews-sa',
};
const loaded = loadMeshText(
  `trustDomain: example.org
services:
  reviews:
    namespace: shop
    versions: { v1: { host: a } }
    routes: [{ split: { v1: 1 } }]
`,
  'mesh.yaml',
  SELF,
);
assert.ok(loaded.ok);
const mesh = loaded.mesh;

describe('observe', () => {
  function setup(accessLog = true) {
    const m = recordingMetrics();
    const t = recordingTracing();
    const l = recordingLog();
    const access = new AccessLog(l.log);
    access.configure({ enabled: accessLog, format: 'json' });
    const ctx = { tracing: t.tracing, log: l.log, accessLog: access, inFlight: 0 };
    const obs = observe(ctx, {
      direction: 'outbound',
      method: 'POST',
      recorder: m.metrics.recorder(outboundLabels(SELF, 'example.org', null, null)),
      spanName: 'POST x',
      spanHeaders: {},
      spanAttributes: () => ({}),
      access: {
        requestId: 'r1',
        authority: 'x',
        path: '/',
        protocol: 'HTTP/1.1',
        route: null,
        service: null,
        version: null,
        origin: null,
        principal: null,
      },
    });
    return { ...m, ...t, ...l, ctx, obs };
  }
  it('counts the request in flight until it finishes, once', () => {
    const s = setup();
    assert.equal(s.ctx.inFlight, 1);
    s.obs.finish(200, '-', 10, 20);
    s.obs.finish(200, '-', 10, 20);
    assert.equal(s.ctx.inFlight, 0);
    assert.equal(s.records.length, 1);
    assert.equal(s.ended.length, 1);
  });
  it('writes the same status and flag to the record, the span and the access log', () => {
    const s = setup();
    s.obs.finish(503, 'UF');
    assert.deepEqual([s.records[0]!.code, s.records[0]!.flags], [503, 'UF']);
    assert.deepEqual([s.ended[0]!.status, s.ended[0]!.flags], [503, 'UF']);
    assert.deepEqual([s.lines[0]!.obj.status, s.lines[0]!.obj.flags], [503, 'UF']);
  });
  it('records a caller that went away as 499 DC everywhere, whatever the forward step reported', () => {
    for (const reported of [0, 200]) {
      const s = setup();
      s.obs.finish(reported, 'DC');
      assert.deepEqual([s.records[0]!.code, s.ended[0]!.status, s.lines[0]!.obj.status], [499, 499, 499]);
    }
  });
  it('writes no access log line when the access log is off', () => {
    const s = setup(false);
    s.obs.finish(200, '-');
    assert.equal(s.lines.length, 0);
  });
  it('records a refusal from the table without a span', () => {
    const m = recordingMetrics();
    recordRefused(m.metrics.recorder(outboundLabels(SELF, 'example.org', null, null)), 'other', 0, 'DC');
    assert.equal(m.records[0]!.code, 499);
  });
});

describe('labels', () => {
  it('names the source principal with the one SPIFFE id format', () => {
    assert.equal(
      outboundLabels(SELF, 'example.org', null, null).source_principal,
      'spiffe://example.org/ns/default/sa/reviews-sa',
    );
  });
  it('never puts an unlisted host in a label', () => {
    const l = outboundLabels(SELF, 'example.org', null, null, 'BlackHoleCluster');
    assert.equal(l.destination_service, 'BlackHoleCluster');
    assert.equal(l.destination_version, 'unknown');
  });
  it('takes the namespace from the verified principal over the caller claim', () => {
    const l = inboundLabels(SELF, mesh, 'productpage;claimed;v9', 'spiffe://example.org/ns/real/sa/pp', true);
    assert.equal(l.source_workload_namespace, 'real');
    assert.equal(l.source_workload, 'productpage');
    assert.equal(l.destination_service, 'reviews.shop.svc.cluster.local');
    assert.equal(l.connection_security_policy, 'mutual_tls');
  });
  it('reads a malformed peer-metadata header as unknown', () => {
    for (const bad of ['a;b', 'a;b;c;d', 'a;b;c d', `${'x'.repeat(70)};b;c`, ';;'])
      assert.deepEqual(parseSource(bad), ['unknown', 'unknown', 'unknown'], bad);
  });
});

describe('RecorderCache: the one caching rule', () => {
  it('builds one recorder per key and reuses it', () => {
    const m = recordingMetrics();
    const cache = new RecorderCache(m.metrics, () => outboundLabels(SELF, 'example.org', null, null));
    let built = 0;
    const labels = () => {
      built++;
      return outboundLabels(SELF, 'example.org', null, null);
    };
    assert.equal(cache.get('k', labels), cache.get('k', labels));
    assert.equal(built, 1);
  });
  it('admits at most MAX_LABEL_SETS keys; the rest share the overflow labels', () => {
    const m = recordingMetrics();
    const overflow = inboundLabels(SELF, mesh, undefined, null, false);
    const cache = new RecorderCache(m.metrics, () => overflow);
    for (let i = 0; i < MAX_LABEL_SETS + 100; i++) {
      cache
        .get(`caller-${i}`, () => inboundLabels(SELF, mesh, `caller-${i};ns;v1`, null, false))
        .record('GET', 200, '-', 0, 0, 0, undefined);
    }
    assert.equal(cache.size, MAX_LABEL_SETS);
    const workloads = new Set(m.records.map((r) => r.labels.source_workload));
    assert.equal(workloads.size, MAX_LABEL_SETS + 1, 'the bound plus the one overflow set');
    assert.ok(workloads.has('unknown'));
  });
  it('forgets everything when cleared (a config change)', () => {
    const m = recordingMetrics();
    const cache = new RecorderCache(m.metrics, () => outboundLabels(SELF, 'example.org', null, null));
    cache.get('k', () => outboundLabels(SELF, 'example.org', null, null));
    cache.clear();
    assert.equal(cache.size, 0);
  });
});
