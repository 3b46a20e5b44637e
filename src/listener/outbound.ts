// Outbound: requests from the local app to other services. The stack, top to
// bottom: resolve the target service from the Host (or absolute URI) → pick a
// route → pick a version → set forwarding headers → forward with timeout and
// retries → record metrics and the CLIENT span. Errors at any step go to the
// one rescue step (replyError) with their flag.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CompiledMesh, CompiledRoute, CompiledService, VersionTarget } from '../config/types.ts';
import { ProxyError, type ResponseFlags } from '../errors.ts';
import { UpstreamCall } from '../forward/call.ts';
import { createUpgradeProxy } from '../forward/upgrade.ts';
import { copyRequestHeaders } from '../forward/headers.ts';
import { matchRoute, pathOf } from '../route/match.ts';
import { pickVersion, stickyKeyOf } from '../route/pick.ts';
import type { Sidecar } from '../sidecar.ts';
import type { RequestRecorder, SpanHandle, StaticRequestLabels } from '../telemetry/types.ts';
import { acceptCaptured, capturedDstOf, type Listener } from './accept.ts';
import { createHttpServer } from './http.ts';
import { replyError, writeRawError } from './rescue.ts';

/** Where one outbound request goes, decided before any byte is sent upstream. */
export interface OutboundTarget {
  readonly service: CompiledService | null;
  readonly route: CompiledRoute | null;
  readonly version: VersionTarget | null;
  readonly origin: string;
  readonly path: string;
  /** SPIFFE id to require of the upstream when originating mTLS, else null. */
  readonly peerId: string | null;
}

/** Resolves host, route and version for a request; throws ProxyError (NR, DPE). */
export function resolveOutbound(
  mesh: CompiledMesh,
  req: IncomingMessage,
  host: string | undefined,
  random: () => number,
  dst?: { address: string; port: number; family: number },
): OutboundTarget {
  let authority = host;
  let target = req.url ?? '/';
  if (target.charCodeAt(0) !== 47 /* '/' */) {
    // absolute-form (HTTP_PROXY style): http://authority/path
    const m = /^http:\/\/([^/?#]+)([^#]*)/i.exec(target);
    if (m === null) throw new ProxyError('DPE', `unsupported request target '${target.slice(0, 100)}'`);
    authority = m[1];
    target = m[2] === '' ? '/' : m[2]!;
  }
  if (authority === undefined || authority === '') throw new ProxyError('DPE', 'request has no Host header');
  const key = authority.toLowerCase();
  const service = mesh.hosts.get(key);
  if (service === undefined) {
    if (mesh.outboundTrafficPolicy === 'registryOnly') {
      throw new ProxyError(
        'NR',
        `host '${authority.slice(0, 200)}' is not in the mesh registry (outboundTrafficPolicy: registryOnly)`,
      );
    }
    return {
      service: null,
      route: null,
      version: null,
      // Captured: where the app was connecting (the Host may name anything); HTTP_PROXY: the Host.
      origin:
        dst === undefined
          ? `http://${authority}`
          : `http://${dst.family === 6 ? `[${dst.address}]` : dst.address}:${dst.port}`,
      path: target,
      peerId: null,
    };
  }
  const path = pathOf(target);
  const route = matchRoute(service, req.method!, path, req);
  if (route === null)
    throw new ProxyError('NR', `no route of service '${service.name}' matches ${req.method} ${path}`);
  const version = pickVersion(
    route,
    random,
    route.sticky === null ? undefined : stickyKeyOf(route, req.headers),
  );
  // Never a silent plaintext downgrade: without certificates the connector fails (UF).
  const peerId = service.mtls !== 'disable' ? service.spiffeId : null;
  return { service, route, version, origin: version.origin, path: target, peerId };
}

export function createOutboundListener(sidecar: Sidecar): Listener {
  const { self } = sidecar;
  // Peer metadata for the destination's metric labels (never used as identity).
  const sourceHeader = `${self.workload};${self.namespace};${self.version}`;
  const recorders = new WeakMap<VersionTarget, RequestRecorder>();
  const labelsFor = (
    service: CompiledService | null,
    version: VersionTarget | null,
    unregistered = 'PassthroughCluster',
  ): StaticRequestLabels => ({
    reporter: 'source',
    source_workload: self.workload,
    source_workload_namespace: self.namespace,
    source_version: self.version,
    source_principal: `spiffe://${sidecar.config.current.trustDomain}/ns/${self.namespace}/sa/${self.serviceAccount}`,
    destination_workload: service?.name ?? 'unknown',
    destination_workload_namespace: service?.namespace ?? 'unknown',
    // Hosts outside the registry never become label values (unbounded cardinality).
    destination_service: service?.fqdn ?? unregistered,
    destination_service_name: service?.name ?? unregistered,
    destination_version: version?.name ?? 'unknown',
    request_protocol: 'http',
    connection_security_policy: 'unknown',
  });
  const unknownRecorder = sidecar.metrics.recorder(labelsFor(null, null));
  const blackHoleRecorder = sidecar.metrics.recorder(labelsFor(null, null, 'BlackHoleCluster'));
  const recorderFor = (t: OutboundTarget): RequestRecorder => {
    if (t.version === null) return unknownRecorder;
    let r = recorders.get(t.version);
    if (r === undefined) {
      r = sidecar.metrics.recorder(labelsFor(t.service, t.version));
      recorders.set(t.version, r);
    }
    return r;
  };
  const wsProxy = createUpgradeProxy();

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const mesh = sidecar.config.current;
    sidecar.inFlight++;
    if (sidecar.draining) res.shouldKeepAlive = false;
    const method = req.method!;
    const headers: string[] = [];
    const facts = copyRequestHeaders(req.rawHeaders, headers, false);
    let target: OutboundTarget;
    let span: SpanHandle | null = null;
    const requestId = facts.requestId ?? randomUUID();
    try {
      // Apps never see x-meshlet-source (inbound strips it): arriving here it came from a meshlet outbound, i.e. a loop.
      if (facts.source !== undefined)
        throw new ProxyError('NR', 'request loop: it already passed through a meshlet outbound listener');
      target = resolveOutbound(mesh, req, facts.host, sidecar.random, capturedDstOf(req.socket));
    } catch (err) {
      const proxyErr = err instanceof ProxyError ? err : new ProxyError('DPE', (err as Error).message);
      replyError(res, proxyErr);
      const recorder = proxyErr.flag === 'NR' ? blackHoleRecorder : unknownRecorder;
      // A refused call still shows in the caller's trace, with its flag.
      const errSpan = !sidecar.tracing.enabled
        ? null
        : sidecar.tracing.start(
            'client',
            `${method} ${proxyErr.flag === 'NR' ? 'BlackHoleCluster' : 'unknown'}`,
            req.headers,
            {
              'http.request.method': method,
              'meshlet.route': 'none',
              'meshlet.version': 'unknown',
              'meshlet.request_id': requestId,
            },
          );
      errSpan?.end(proxyErr.status, proxyErr.flag);
      finish(recorder, method, proxyErr.status, proxyErr.flag, started, 0, 0, errSpan?.traceId || undefined);
      return;
    }
    const recorder = recorderFor(target);
    headers.push(
      'x-forwarded-for',
      facts.forwardedFor === undefined
        ? (req.socket.remoteAddress ?? '')
        : `${facts.forwardedFor}, ${req.socket.remoteAddress ?? ''}`,
      'x-forwarded-proto',
      facts.forwardedProto ?? 'http',
      'x-request-id',
      requestId,
      'x-meshlet-source',
      sourceHeader,
    );
    if (sidecar.tracing.enabled) {
      span = sidecar.tracing.start(
        'client',
        `${method} ${target.service?.name ?? 'passthrough'}`,
        req.headers,
        {
          'http.request.method': method,
          'url.path': pathOf(target.path),
          'server.address': target.service?.fqdn ?? facts.host ?? '',
          'meshlet.route': target.route?.name ?? 'passthrough',
          'meshlet.version': target.version?.name ?? 'unknown',
          'meshlet.request_id': requestId,
        },
      );
      span?.inject(headers);
    }
    const call = new UpstreamCall(
      req,
      res,
      {
        dispatcher: sidecar.pools.get(target.origin, target.peerId),
        method,
        path: target.path,
        headers,
        timeoutMs: target.route?.timeoutMs ?? 0,
        retry: target.service?.retry ?? null,
        responseHeaders: target.version?.responseHeader ?? null,
        hasBody: facts.hasBody,
      },
      (status, flags, requestBytes, responseBytes) => {
        span?.end(status, flags);
        finish(recorder, method, status, flags, started, requestBytes, responseBytes, span?.traceId);
      },
      replyError,
    );
    call.start();
  };

  const finish = (
    recorder: RequestRecorder,
    method: string,
    status: number,
    flags: ResponseFlags,
    started: number,
    requestBytes: number,
    responseBytes: number,
    traceId: string | undefined,
  ): void => {
    sidecar.inFlight--;
    const seconds = (performance.now() - started) / 1000;
    recorder.record(method, status, flags, seconds, requestBytes, responseBytes, traceId);
    if (sidecar.accessLog)
      sidecar.log.info({ dir: 'outbound', method, status, flags, ms: seconds * 1000 }, 'access');
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const host = req.headers.host;
    let target: OutboundTarget;
    try {
      target = resolveOutbound(sidecar.config.current, req, host, sidecar.random, capturedDstOf(req.socket));
    } catch (err) {
      writeRawError(socket as Socket, err as ProxyError);
      return;
    }
    req.url = target.path;
    if (target.peerId === null) {
      wsProxy.ws(req, socket, head, { target: target.origin });
      return;
    }
    // A mesh service: the upgrade goes over mTLS too, never a plaintext downgrade.
    let ssl: import('node:tls').ConnectionOptions;
    try {
      ssl = sidecar.meshTls(target.peerId);
    } catch (err) {
      writeRawError(socket as Socket, new ProxyError('UF', (err as Error).message));
      return;
    }
    const { hostname, port } = new URL(target.origin);
    wsProxy.ws(req, socket, head, { target: { protocol: 'https:', host: hostname, port }, ssl } as never);
  };

  const http = createHttpServer(sidecar, {
    request: onRequest,
    upgrade: onUpgrade,
    rejected: (err) => unknownRecorder.record('other', err.status, err.flag, 0, 0, 0, undefined),
  });
  return { server: acceptCaptured(sidecar, http, 'outbound'), http };
}
