// Outbound: requests from the local app to other services. Each request goes
// through the same named steps, top to bottom:
//   resolve   (route/resolve.ts)     authority → service → route → version, or NR/DPE
//   observe   (telemetry/observe.ts) span, metric record, access log: one finish for every outcome
//   headers   (forward/headers.ts)   hop-by-hop out, forwarding and peer-metadata headers in
//   forward   (forward/call.ts)      pooled upstream call with timeout and retries
//   rescue    (listener/rescue.ts)   every error reply, from the error table
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ProxyError } from '../errors.ts';
import { UpstreamCall } from '../forward/call.ts';
import { copyRequestHeaders } from '../forward/headers.ts';
import { pathOf } from '../route/match.ts';
import { type OutboundTarget, resolveOutbound } from '../route/resolve.ts';
import type { Sidecar } from '../sidecar.ts';
import { RecorderCache, outboundLabels, type Unregistered } from '../telemetry/labels.ts';
import { observe, recordRefused } from '../telemetry/observe.ts';
import type { RequestRecorder } from '../telemetry/types.ts';
import { acceptCaptured, capturedDstOf, type Listener } from './accept.ts';
import { createConnectHandler } from './connect.ts';
import { createHttpServer } from './http.ts';
import { replyError } from './rescue.ts';
import { createUpgradeStep } from './upgrade.ts';

export function createOutboundListener(sidecar: Sidecar): Listener {
  const { self } = sidecar;
  // Peer metadata for the destination's metric labels (never used as identity).
  const sourceHeader = `${self.workload};${self.namespace};${self.version}`;
  const labels = (t: OutboundTarget | null, unregistered?: Unregistered) =>
    outboundLabels(
      self,
      sidecar.config.current.trustDomain,
      t?.service ?? null,
      t?.version ?? null,
      unregistered,
    );
  const recorders = new RecorderCache(sidecar.metrics, () => labels(null));
  sidecar.config.on('change', () => recorders.clear());
  const recorderFor = (t: OutboundTarget): RequestRecorder =>
    t.version === null
      ? recorders.get('', () => labels(null))
      : recorders.get(`${t.service!.name}/${t.version.name}`, () => labels(t));
  // A refusal has no target: an NR for an unlisted host counts under BlackHoleCluster, the rest as unknown.
  const refusedRecorder = (err: ProxyError): RequestRecorder =>
    err.flag === 'NR'
      ? recorders.get('!NR', () => labels(null, 'BlackHoleCluster'))
      : recorders.get('', () => labels(null));

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const mesh = sidecar.config.current;
    const method = req.method!;
    const headers: string[] = [];
    const facts = copyRequestHeaders(req.rawHeaders, headers, false);
    const requestId = facts.requestId ?? randomUUID();
    let target: OutboundTarget | null = null;
    let error: ProxyError | null = null;
    try {
      target = resolveOutbound(mesh, req, sidecar.random, capturedDstOf(req.socket));
    } catch (err) {
      error = err instanceof ProxyError ? err : new ProxyError('DPE', (err as Error).message);
    }
    // One observation for every outcome: a refused call still shows in the caller's trace, with its flag.
    const obs = observe(
      sidecar,
      {
        direction: 'outbound',
        method,
        recorder: target === null ? refusedRecorder(error!) : recorderFor(target),
        spanName: `${method} ${target === null ? (error!.flag === 'NR' ? 'BlackHoleCluster' : 'unknown') : (target.service?.name ?? 'passthrough')}`,
        spanHeaders: req.headers,
        spanAttributes: () => ({
          'http.request.method': method,
          ...(target === null
            ? {}
            : {
                'url.path': pathOf(target.path),
                'server.address': target.service?.fqdn ?? target.authority,
              }),
          'meshlet.route': target === null ? 'none' : (target.route?.name ?? 'passthrough'),
          'meshlet.version': target?.version?.name ?? 'unknown',
          'meshlet.request_id': requestId,
        }),
        logFields:
          target === null
            ? undefined
            : { authority: target.authority, route: target.route?.name, version: target.version?.name },
      },
      started,
    );
    if (target === null) {
      replyError(res, error!);
      obs.finish(error!.status, error!.flag);
      return;
    }
    // RFC 9112 §3.2.2: an absolute-form target's authority replaces the Host header.
    if (target.absoluteForm) setHost(headers, target.authority);
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
    obs.span?.inject(headers);
    new UpstreamCall(
      req,
      res,
      {
        upstream: sidecar.pools.upstream(target.origin, target.peerId),
        streamIdleTimeoutMs: target.service?.streamIdleTimeoutMs ?? mesh.streamIdleTimeoutMs,
        method,
        path: target.path,
        headers,
        timeoutMs: target.route?.timeoutMs ?? 0,
        retry: target.service?.retry ?? null,
        responseHeaders: target.version?.responseHeader ?? null,
        hasBody: facts.hasBody,
      },
      obs.finish,
      replyError,
    ).start();
  };

  const upgrade = createUpgradeStep(sidecar);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let target: OutboundTarget;
    try {
      target = resolveOutbound(sidecar.config.current, req, sidecar.random, capturedDstOf(req.socket));
    } catch (err) {
      const proxyErr = err instanceof ProxyError ? err : new ProxyError('DPE', (err as Error).message);
      upgrade.refuse(
        socket,
        upgrade.observe(req, 'outbound', refusedRecorder(proxyErr), `${req.method} upgrade`),
        proxyErr,
      );
      return;
    }
    const obs = upgrade.observe(
      req,
      'outbound',
      recorderFor(target),
      `${req.method} ${target.service?.name ?? 'passthrough'}`,
    );
    req.url = target.path;
    if (target.absoluteForm) req.headers.host = target.authority;
    upgrade.forward(req, socket, head, obs, target.origin, target.peerId);
  };

  const http = createHttpServer(sidecar, {
    request: onRequest,
    upgrade: onUpgrade,
    connect: createConnectHandler(sidecar, refusedRecorder),
    rejected: (err) =>
      recordRefused(
        recorders.get('', () => labels(null)),
        'other',
        err.status,
        err.flag,
      ),
  });
  return { server: acceptCaptured(sidecar, http, 'outbound'), http };
}

/** Replaces every Host in a flat header array with one `authority`. */
function setHost(headers: string[], authority: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]!.toLowerCase() === 'host') headers.splice(i, 2);
  }
  headers.push('host', authority);
}
