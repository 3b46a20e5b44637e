import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { serveLogging } from '../../../src/admin/logging.ts';
import { createLogger } from '../../../src/telemetry/log.ts';

function exchange(method: string, url: string, loopback: boolean, level = 'info') {
  let logged = '';
  const log = createLogger(
    level,
    new Writable({
      write(chunk, _enc, done) {
        logged += chunk;
        done();
      },
    }),
  );
  let status = 0;
  let body = '';
  const res = {
    writeHead(s: number) {
      status = s;
      return this;
    },
    end(b: string) {
      body = b;
    },
  } as unknown as ServerResponse;
  serveLogging({ method, url } as IncomingMessage, res, log, loopback);
  return { status, body: JSON.parse(body) as Record<string, unknown>, log, logged: () => logged };
}

describe('/logging', () => {
  it('GET reads the level from anywhere', () => {
    const r = exchange('GET', '/logging', false);
    assert.equal(r.status, 200);
    assert.equal(r.body.level, 'info');
  });
  it('POST sets the level, from the pod only, and says so in the log', () => {
    const r = exchange('POST', '/logging?level=debug', true);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { level: 'debug', previous: 'info' });
    assert.equal(r.log.level, 'debug');
    assert.match(r.logged(), /"from":"info","to":"debug","msg":"log level changed"/);
  });
  it('shows the change even when it silences info', () => {
    const r = exchange('POST', '/logging?level=error', true);
    assert.equal(r.log.level, 'error');
    assert.match(r.logged(), /"to":"error"/);
  });
  it('refuses a caller that is not the pod, an unknown level and other methods', () => {
    assert.equal(exchange('POST', '/logging?level=debug', false).status, 403);
    for (const url of ['/logging', '/logging?level=verbose', '/logging?level=toString'])
      assert.equal(exchange('POST', url, true).status, 400, url);
    assert.equal(exchange('DELETE', '/logging', true).status, 405);
  });
});
