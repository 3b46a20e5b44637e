// Outbound: requests from the local app to other services. Each request goes
// through the same named steps, top to bottom (docs/architecture.md, "Outbound"):
//   resolve  (route/resolve.ts)      authority → service → route → version, or NR/DPE
//   observe  (telemetry/observe.ts)  CLIENT span, metric record, access log: one finish for every outcome
//   headers  (forward/headers.ts, listener/forwarded.ts)  hop-by-hop out, forwarding headers in
//   forward  (forward/call.ts)       pooled upstream call with timeout, retries, stream idle timeout
//   rescue   (listener/rescue.ts)    every error reply, from the error table
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyError } from '../errors.ts';
import { UpstreamCall } from '../forward/call.ts';
import { copyRequestHeaders } from '../forward/headers.ts';
import { upstreamProtocolOf } from '../forward/transport/select.ts';
import { addGrpcHeaders, callDeadlineMs, grpcCallOf } from '../grpc/call.ts';
import { NO_POLICY } from '../policy/route-policy.ts';
import { type OutboundTarget, resolveOutbound } from '../route/resolve.ts';
import type { Sidecar } from '../sidecar.ts';
import { outboundLabels, RecorderCache, type Unregistered } from '../telemetry/labels.ts';
import { observe, outboundRequest, recordRefused } from '../telemetry/observe.ts';
import type { RequestRecorder } from '../telemetry/types.ts';
import { acceptCaptured, capturedDstOf, type Listener } from './accept.ts';
import { createConnectHandler } from './connect.ts';
import { addForwardedHeaders, setHost } from './forwarded.ts';
import { createFrontDoor } from './front-door.ts';
import { attempt, naming, replyError } from './rescue.ts';
import { faultStep, forwardAfter } from './steps/fault.ts';
import { mirrorStep } from './steps/mirror.ts';
import { answerRedirect, answerRedirectUpgrade } from './steps/redirect.ts';
import { applyRequestHeaders, applyRewrite } from './steps/rewrite.ts';
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
  // One label set per service version; outside the registry, Istio's names (never the host).
  const recorderFor = (t: OutboundTarget | ProxyError): RequestRecorder =>
    'flag' in t
      ? t.flag === 'NR'
        ? recorders.get('!NR', () => labels(null, 'BlackHoleCluster'))
        : recorders.get('', () => labels(null))
      : t.service === null
        ? recorders.get('', () => labels(null))
        : // A route that only redirects has no version: the service's labels, version unknown.
          recorders.get(`${t.service.name}/${t.version?.name ?? ''}`, () => labels(t));
  const resolve = (req: IncomingMessage) =>
    attempt(() =>
      // The route's canary guard may move a tripped version's share to its baseline (balance/wiring.ts).
      sidecar.balancing.steer(
        resolveOutbound(sidecar.config.current, req, sidecar.random, capturedDstOf(req.socket)),
      ),
    );

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const headers: string[] = [];
    const facts = copyRequestHeaders(req.rawHeaders, headers, false);
    const requestId = facts.requestId ?? randomUUID();
    const target = resolve(req);
    const obs = observe(sidecar, outboundRequest(req, requestId, target, recorderFor(target)), started);
    if ('flag' in target) {
      replyError(res, target);
      obs.finish(target.status, target.flag);
      return;
    }
    // Traffic policy (listener/steps/): redirect, fault, rewrite, headers, mirror.
    const policy = target.route?.policy ?? NO_POLICY;
    if (policy.redirect !== null) {
      answerRedirect(res, policy.redirect, target, obs.finish);
      return;
    }
    const fault = faultStep(policy.fault, sidecar.random, req, res, obs.finish, obs);
    if (fault === null) return;
    if (target.absoluteForm) setHost(headers, target.authority);
    addForwardedHeaders(headers, facts, req.socket, 'http', requestId);
    headers.push('x-meshlet-source', sourceHeader);
    obs.span?.inject(headers);
    const path = policy.rewrite === null ? target.path : applyRewrite(policy.rewrite, target.path, headers);
    const rewriteResponseHeaders =
      policy.headers === null ? null : applyRequestHeaders(policy.headers, headers);
    const service = target.service;
    // gRPC: TE: trailers upstream, and the caller's grpc-timeout as a deadline (grpc/call.ts).
    const grpc = grpcCallOf(req.headers, path);
    addGrpcHeaders(headers, grpc);
    // The service's protocol picks HTTP/1.1 or HTTP/2 upstream (forward/transport/select.ts).
    const pools = sidecar.pools.via(upstreamProtocolOf(service?.protocol));
    const call = new UpstreamCall(
      req,
      res,
      {
        // A listed version: an endpoint per attempt from its set; passthrough: the one origin.
        upstream:
          (target.version === null
            ? null
            : sidecar.balancing.upstream(target.version, pools, target.peerId, obs)) ??
          pools.upstream(target.origin, target.peerId),
        streamIdleTimeoutMs: service?.streamIdleTimeoutMs ?? sidecar.config.current.streamIdleTimeoutMs,
        method: req.method!,
        path,
        headers,
        timeoutMs: callDeadlineMs(target.route?.timeoutMs ?? 0, grpc),
        retry: service?.retry ?? null,
        grpc: grpc === null ? null : obs,
        responseHeaders: target.version?.responseHeader ?? null,
        rewriteResponseHeaders,
        hasBody: facts.hasBody,
        debugLog: sidecar.log.isLevelEnabled('debug') ? sidecar.log.child({ requestId }) : null,
      },
      sidecar.balancing.watch(target, started, fault.finish),
      (r, err) => replyError(r, naming(err, obs)),
    );
    const mirror =
      policy.mirror === null
        ? null
        : mirrorStep(sidecar, policy.mirror, target, req, path, headers, facts.hasBody, pools);
    forwardAfter(fault, res, call, mirror);
  };

  const upgrade = createUpgradeStep(sidecar);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const target = resolve(req);
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
    const obs = upgrade.observe(outboundRequest(req, requestId, target, recorderFor(target)));
    if ('flag' in target) {
      upgrade.refuse(socket, obs, target);
      return;
    }
    const redirect = target.route?.policy.redirect ?? null;
    if (redirect !== null) {
      answerRedirectUpgrade(socket, redirect, target, obs.finish);
      return;
    }
    req.url = target.path;
    if (target.absoluteForm) req.headers.host = target.authority;
    upgrade.forward(req, socket, head, obs, target.origin, target.peerId);
  };

  const door = createFrontDoor(sidecar, {
    request: onRequest,
    upgrade: onUpgrade,
    connect: createConnectHandler(sidecar, recorderFor),
    rejected: (err) =>
      recordRefused(
        recorders.get('', () => labels(null)),
        'other',
        err.status,
        err.flag,
      ),
  });
  return { server: acceptCaptured(sidecar, door, 'outbound'), ...door };
}
