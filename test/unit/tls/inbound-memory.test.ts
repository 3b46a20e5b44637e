// Node 24's getPeerX509Certificate() on a server socket keeps the peer's
// certificate chain for good, and tls.Server calls it for every
// client-authenticated connection: a sidecar whose callers reconnect often
// grew by 7.6 KiB per inbound mTLS connection (the soak's callee, 0.9 GiB an
// hour). InboundTls terminates on its own TLSSocket and reads certificates
// with getPeerCertificate(). Each case runs 2,000 connections in a fresh
// process and measures the malloc heap across them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../../fixtures/inbound-tls/connections.ts', import.meta.url));
const CONNECTIONS = 2000;
// Measured on Node 24.21: 1.2-1.4 KiB per connection for the handshake's own
// churn (allocator holes), 6-8 KiB with the leaking call.
const BOUND_KIB = 3.5;

function kibPerConnection(mode: 'inbound' | 'x509'): number {
  const out = execFileSync(
    process.execPath,
    [FIXTURE, String(CONNECTIONS), ...(mode === 'x509' ? ['x509'] : [])],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const { before, after, secured } = JSON.parse(out) as { before: number; after: number; secured: number };
  assert.equal(secured, CONNECTIONS, 'every connection authenticated');
  return ((after - before) * 1024) / CONNECTIONS;
}

describe('inbound mTLS keeps nothing per connection', {
  skip: process.platform !== 'linux' && 'reads /proc/self/smaps',
}, () => {
  test(`${CONNECTIONS} authenticated connections grow the malloc heap by under ${BOUND_KIB} KiB each`, {
    timeout: 120_000,
  }, () => {
    const perConnection = kibPerConnection('inbound');
    assert.ok(perConnection < BOUND_KIB, `${perConnection.toFixed(2)} KiB per connection`);
  });

  test('the measurement sees the leak it guards against (one getPeerX509Certificate() per connection)', {
    timeout: 120_000,
  }, () => {
    const perConnection = kibPerConnection('x509');
    assert.ok(
      perConnection > BOUND_KIB,
      `${perConnection.toFixed(2)} KiB per connection: if Node no longer leaks here, tls.Server could terminate inbound mTLS again`,
    );
  });
});
