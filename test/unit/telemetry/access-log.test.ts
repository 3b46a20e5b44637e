import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AccessLog,
  type AccessRecord,
  formatText,
  hostPort,
  roundMs,
  traceIdOf,
} from '../../../src/telemetry/access-log.ts';
import { createLogger } from '../../../src/telemetry/log.ts';
import { recordingLog } from '../../helpers/telemetry-fakes.ts';

const UF: AccessRecord = {
  dir: 'outbound',
  start: '2026-12-02T05:30:28.341Z',
  method: 'GET',
  authority: 'reviews:9080',
  path: '/api/1',
  protocol: 'HTTP/1.1',
  status: 503,
  flags: 'UF',
  route: 'canary',
  destination: 'reviews',
  version: 'v1',
  endpoint: '127.0.0.1:9081',
  requestId: 'abc-123',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  bytesIn: 0,
  bytesOut: 91,
  ms: 9.3,
  principal: null,
};

function lines(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}

// Strings from the network, with the characters that break a naive line: quotes, backslashes, line ends.
const nasty = fc
  .array(
    fc.oneof(fc.constantFrom('" ', '\\', '\n', '\r', '\u0000', '\u2028', ']'), fc.string({ unit: 'binary' })),
  )
  .map((parts) => parts.join(''));

describe('access log text format', () => {
  it('writes the Envoy-like layout (golden)', () => {
    assert.equal(
      formatText(UF),
      '[2026-12-02T05:30:28.341Z] "GET /api/1 HTTP/1.1" 503 UF 0 91 9.300 "reviews:9080" "127.0.0.1:9081" ' +
        '"abc-123" outbound reviews v1 canary 4bf92f3577b34da6a3ce929d0e0e4736 -',
    );
  });
  it('writes - for absent values (a refused request without route, version or endpoint)', () => {
    const line = formatText({
      ...UF,
      dir: 'inbound',
      route: null,
      endpoint: null,
      authority: null,
      traceId: null,
      principal: 'spiffe://cluster.local/ns/default/sa/productpage',
    });
    assert.match(
      line,
      / "-" "-" "abc-123" inbound reviews v1 - - spiffe:\/\/cluster\.local\/ns\/default\/sa\/productpage$/,
    );
  });
  it('keeps any path, authority or request id on one line, quoted and recoverable', () => {
    fc.assert(
      fc.property(nasty, nasty, nasty, (path, authority, id) => {
        const line = formatText({ ...UF, path, authority, requestId: id });
        assert.ok(!line.includes('\n') && !line.includes('\r'), line);
        // The quoted request line parses back to what was asked.
        const quoted = /^\[[^\]]*\] ("(?:[^"\\]|\\.)*")/.exec(line);
        assert.ok(quoted !== null, line);
        const request = JSON.parse(quoted[1]!) as string;
        assert.equal(request, `GET ${path} HTTP/1.1`);
      }),
    );
  });
});

describe('AccessLog', () => {
  it('is off until the config turns it on, and follows every reload', () => {
    const l = recordingLog();
    const log = new AccessLog(l.log);
    assert.equal(log.enabled, false);
    log.configure({ enabled: true, format: 'json' });
    assert.equal(log.enabled, true);
    log.configure({ enabled: false, format: 'json' });
    assert.equal(log.enabled, false);
  });
  it('stays on when MESHLET_ACCESS_LOG=1 forced it, whatever the config says', () => {
    const log = new AccessLog(recordingLog().log, { forced: true });
    log.configure({ enabled: false, format: 'text' });
    assert.equal(log.enabled, true);
    assert.equal(log.format, 'text');
  });
  it('writes json as a log line `access` with every field, extras after', () => {
    const l = recordingLog();
    const log = new AccessLog(l.log);
    log.configure({ enabled: true, format: 'json' });
    log.write(UF, { upgrade: true });
    assert.equal(l.lines[0]!.msg, 'access');
    assert.deepEqual(l.lines[0]!.obj, { ...UF, upgrade: true });
  });
  it('writes text as a raw line through the logger’s own stream, in order with JSON lines', () => {
    const out = lines();
    const logger = createLogger('info', out.stream);
    const log = new AccessLog(logger);
    log.configure({ enabled: true, format: 'text' });
    logger.info('before');
    log.write(UF);
    logger.info('after');
    const written = out.text().trim().split('\n');
    assert.equal(written.length, 3);
    assert.equal(JSON.parse(written[0]!).msg, 'before');
    assert.equal(written[1], formatText(UF));
    assert.equal(JSON.parse(written[2]!).msg, 'after');
  });
});

describe('log lines', () => {
  it('carry the level as a word and the time in ISO 8601', () => {
    const out = lines();
    createLogger('info', out.stream).info({ a: 1 }, 'hello');
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    assert.equal(line.level, 'info');
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('access log values', () => {
  it('rounds durations to the microsecond: never more than 3 decimals', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 3600, noNaN: true }), (seconds) => {
        const text = String(roundMs(seconds));
        assert.ok(!/\.\d{4,}/.test(text) && !text.includes('e'), text);
        assert.ok(Math.abs(roundMs(seconds) - seconds * 1000) <= 0.0005 + 1e-9);
      }),
    );
  });
  it('brackets IPv6 endpoints', () => {
    assert.equal(hostPort('::1', 9080), '[::1]:9080');
    assert.equal(hostPort('10.0.0.7', 9080), '10.0.0.7:9080');
  });
  it('takes a trace id only from a well-formed traceparent', () => {
    assert.equal(
      traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    for (const bad of [
      undefined,
      '',
      'garbage',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      ['x'],
    ])
      assert.equal(traceIdOf(bad), null);
  });
});
