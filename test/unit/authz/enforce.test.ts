import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { allowDecision } from '../../../src/authz/allow.ts';
import { authorize } from '../../../src/authz/enforce.ts';
import { loadMeshText } from '../../../src/config/load.ts';
import { recordingLog, recordingMetrics } from '../../helpers/telemetry-fakes.ts';

const SELF = {
  service: 'reviews',
  workload: 'reviews',
  namespace: 'default',
  version: 'v1',
  serviceAccount: 'reviews',
};
const PRODUCTPAGE = 'spiffe://cluster.local/ns/default/sa/productpage';
const OTHER = 'spiffe://cluster.local/ns/default/sa/other';

function service(mode: 'enforce' | 'audit' | null) {
  const rules =
    mode === null
      ? ''
      : `    allowMode: ${mode}
    allow:
      - from: [productpage]
        methods: [GET]
`;
  const loaded = loadMeshText(
    `services:
  reviews:
    versions: { v1: { host: a } }
    routes: [{ split: { v1: 1 } }]
${rules}`,
    'mesh.yaml',
    SELF,
  );
  assert.ok(loaded.ok);
  return loaded.mesh.services.get('reviews')!;
}

function ctxFor(principal: string | null) {
  const m = recordingMetrics();
  const l = recordingLog();
  return {
    ctx: { security: { peerIdentity: () => principal, allowDecision }, metrics: m.metrics, log: l.log },
    denied: m.denied,
    lines: l.lines,
  };
}
const socket = {} as Socket;

describe('authorize', () => {
  it('permits anyone when the service has no allow rules, and counts nothing', () => {
    const { ctx, denied, lines } = ctxFor(null);
    const p = authorize(ctx, service(null), socket, 'POST', '/x');
    assert.deepEqual(p, { principal: null, mtls: false, denied: null });
    assert.equal(denied.length + lines.length, 0);
  });
  it('permits a listed caller and carries its principal for the labels', () => {
    const { ctx, denied } = ctxFor(PRODUCTPAGE);
    const p = authorize(ctx, service('enforce'), socket, 'GET', '/x');
    assert.deepEqual(p, { principal: PRODUCTPAGE, mtls: true, denied: null });
    assert.equal(denied.length, 0);
  });
  it('denies an unlisted caller with 403 RBAC, counted and logged once', () => {
    const { ctx, denied, lines } = ctxFor(OTHER);
    const p = authorize(ctx, service('enforce'), socket, 'GET', '/x');
    assert.equal(p.principal, OTHER);
    assert.equal(p.denied?.flag, 'RBAC');
    assert.equal(p.denied?.status, 403);
    assert.deepEqual(denied, [[OTHER, 'reviews.default.svc.cluster.local', 'enforce']]);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, 'denied by allow rules');
  });
  it('denies a plaintext caller as unknown', () => {
    const { ctx, denied } = ctxFor(null);
    assert.equal(authorize(ctx, service('enforce'), socket, 'GET', '/x').denied?.flag, 'RBAC');
    assert.deepEqual(denied[0]![0], 'unknown');
  });
  it('in audit mode lets a would-be denial through, counted as audit', () => {
    const { ctx, denied, lines } = ctxFor(OTHER);
    const p = authorize(ctx, service('audit'), socket, 'DELETE', '/x');
    assert.equal(p.denied, null);
    assert.deepEqual(denied, [[OTHER, 'reviews.default.svc.cluster.local', 'audit']]);
    assert.equal(lines[0]!.msg, 'allow rules would deny (audit mode)');
  });
  it('marks an upgrade in the log line', () => {
    const { ctx, lines } = ctxFor(OTHER);
    authorize(ctx, service('enforce'), socket, 'GET', '/ws', true);
    assert.equal(lines[0]!.obj.upgrade, true);
  });
});
