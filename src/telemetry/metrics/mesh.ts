// The mesh counters outside the request series: allow-rule denials, config
// loads, TLS handshake failures, dropped spans and passthrough TCP.
import type { MeshMetrics } from '../types.ts';
import { type CounterSeries, type Family, ValueFamily } from './series.ts';

/** Distinct TLS failure reasons kept as label values; later ones are counted as `other`. */
const MAX_TLS_REASONS = 32;
/** Distinct rate-limited callers kept as label values; later ones are counted as `other`. */
const MAX_RATE_LIMITED_PRINCIPALS = 64;

export type MeshCounters = Pick<
  MeshMetrics,
  | 'authzDenied'
  | 'configReload'
  | 'tlsHandshakeFailure'
  | 'tracingSpanDropped'
  | 'tcp'
  | 'rateLimited'
  | 'mirrorDropped'
>;

export function createMeshCounters(add: <T extends Family>(family: T) => T): MeshCounters {
  const authzDenied = add(
    new ValueFamily(
      'meshlet_authz_denied_total',
      'Requests the allow rules denied (enforce) or would have denied (audit).',
      'counter',
    ),
  );
  const reloads = add(new ValueFamily('meshlet_config_reloads_total', 'Config loads by result.', 'counter'));
  const reloadSuccess = [
    reloads.series({ result: 'success' }),
    reloads.series({ result: 'failure' }),
  ] as const;
  const lastReload = add(
    new ValueFamily(
      'meshlet_config_last_reload_success_timestamp_seconds',
      'Unix time of the last successful config load, labelled with its hash.',
      'gauge',
    ),
  );
  const configInfo = add(
    new ValueFamily('meshlet_config_info', 'The config in force: 1 for its hash.', 'gauge'),
  );
  const tlsFailures = add(
    new ValueFamily('meshlet_tls_handshake_failures_total', 'Failed TLS handshakes.', 'counter'),
  );
  const spansDropped = add(
    new ValueFamily(
      'meshlet_tracing_spans_dropped_total',
      'Spans not exported: queue full or collector unreachable.',
      'counter',
    ),
  ).series({});
  const tcpConnections = add(
    new ValueFamily('meshlet_tcp_connections_total', 'Passthrough TCP connections opened.', 'counter'),
  );
  const tcpBytes = add(new ValueFamily('meshlet_tcp_bytes_total', 'Passthrough TCP bytes.', 'counter'));

  const rateLimitedFamily = add(
    new ValueFamily(
      'meshlet_rate_limited_total',
      "Requests refused by the service's rate limit (429 RL), by verified caller.",
      'counter',
    ),
  );
  const rateLimited = new Map<string, CounterSeries>();
  const mirrorsDropped = add(
    new ValueFamily(
      'meshlet_mirror_dropped_total',
      'Mirror copies not made because the copies in flight were at their bound.',
      'counter',
    ),
  ).series({});
  const denied = new Map<string, Map<string, [CounterSeries, CounterSeries]>>();
  const tlsReasons = new Map<string, CounterSeries>();

  return {
    authzDenied(sourcePrincipal, destinationService, mode) {
      const principal = sourcePrincipal || 'unknown';
      let byDest = denied.get(principal);
      if (byDest === undefined) denied.set(principal, (byDest = new Map()));
      let pair = byDest.get(destinationService);
      if (pair === undefined) {
        const base = { source_principal: principal, destination_service: destinationService || 'unknown' };
        pair = [
          authzDenied.series({ ...base, mode: 'enforce' }),
          authzDenied.series({ ...base, mode: 'audit' }),
        ];
        byDest.set(destinationService, pair);
      }
      pair[mode === 'enforce' ? 0 : 1].value++;
    },

    configReload(result, hash) {
      reloadSuccess[result === 'success' ? 0 : 1].value++;
      if (result === 'success' && hash !== null) {
        configInfo.replaceAll({ hash }, 1);
        lastReload.replaceAll({ hash }, Date.now() / 1000);
      }
    },

    tlsHandshakeFailure(direction, reason) {
      const key = `${direction}\u0000${reason}`;
      let s = tlsReasons.get(key);
      if (s === undefined) {
        const r = tlsReasons.size < MAX_TLS_REASONS ? reason || 'unknown' : 'other';
        s = tlsFailures.series({ direction, reason: r });
        if (tlsReasons.size < MAX_TLS_REASONS) tlsReasons.set(key, s);
      }
      s.value++;
    },

    tracingSpanDropped() {
      spansDropped.value++;
    },

    mirrorDropped() {
      mirrorsDropped.value++;
    },

    rateLimited(destinationService, sourcePrincipal) {
      const key = `${destinationService}\u0000${sourcePrincipal}`;
      let s = rateLimited.get(key);
      if (s === undefined) {
        const keep = rateLimited.size < MAX_RATE_LIMITED_PRINCIPALS;
        s = rateLimitedFamily.series({
          destination_service: destinationService,
          source_principal: keep ? sourcePrincipal || 'unknown' : 'other',
        });
        if (keep) rateLimited.set(key, s);
      }
      s.value++;
    },

    tcp(labels) {
      const base = { direction: labels.direction, destination_port: labels.destination_port };
      const connections = tcpConnections.series(base);
      const sent = tcpBytes.series({ ...base, flow: 'sent' });
      const received = tcpBytes.series({ ...base, flow: 'received' });
      return {
        opened() {
          connections.value++;
        },
        bytes(s, r) {
          sent.value += s;
          received.value += r;
        },
      };
    },
  };
}
