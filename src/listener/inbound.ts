// Inbound: traffic to this pod. Each request goes through the same named
// steps, top to bottom (docs/architecture.md, "Inbound"):
//   authorize (authz/enforce.ts)     verified caller → allow rules → Permit, before any byte reaches the app
//   observe   (telemetry/observe.ts) SERVER span, metric record, access log: one finish for every outcome
//   resolve   (route/resolve.ts)     the request target, and the app port the caller dialled
//   headers   (forward/headers.ts, listener/forwarded.ts)  identity headers from the network out, our XFCC in
//   forward   (forward/call.ts)      to 127.0.0.1:<app port>
//   rescue    (listener/rescue.ts)   every error reply, from the error table
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { authorize, type InboundSecurity, type Permit } from '../authz/enforce.ts';
import type { MtlsMode } from '../config/types.ts';
import { UpstreamCall } from '../forward/call.ts';
import { copyRequestHeaders, IDENTITY_HEADERS } from '../forward/headers.ts';
import { upstreamProtocolOf } from '../forward/transport/select.ts';
import { addGrpcHeaders, callDeadlineMs, grpcCallOf } from '../grpc/call.ts';
import { pathOf } from '../route/match.ts';
import { resolveInbound } from '../route/resolve.ts';
import type { Sidecar } from '../sidecar.ts';
import { inboundLabels, RecorderCache } from '../telemetry/labels.ts';
import { inboundRequest, observe, recordRefused } from '../telemetry/observe.ts';
import type { RequestRecorder } from '../telemetry/types.ts';
import { type InboundTls, isTlsClientHello, readFirstByte } from '../tls/inbound.ts';
import { workloadSpiffeId } from '../tls/spiffe.ts';
import { capturedDstOf, type Listener, recordOriginalDst, routeConnection } from './accept.ts';
import { addForwardedHeaders } from './forwarded.ts';
import { createFrontDoor } from './front-door.ts';
import { attempt, naming, replyError } from './rescue.ts';
import { createRateLimitStep } from './steps/rate-limit.ts';
import { createUpgradeStep } from './upgrade.ts';

export type { InboundSecurity } from '../authz/enforce.ts';

export function createInboundListener(
  sidecar: Sidecar,
  security: InboundSecurity,
  tls: InboundTls | null,
): Listener {
  const { self } = sidecar;
  const enforce = { security, metrics: sidecar.metrics, log: sidecar.log };
  const labels = (source: string | undefined, principal: string | null, mtls: boolean) =>
    inboundLabels(self, sidecar.config.current, source, principal, mtls);
  // Callers beyond the bound count as `unknown` (their x-meshlet-source is their own claim).
  const recorders = new RecorderCache(sidecar.metrics, () => labels(undefined, null, false));
  sidecar.config.on('change', () => recorders.clear());
  const recorderFor = (source: string | undefined, permit: Permit): RequestRecorder =>
    recorders.get(`${source ?? ''}|${permit.principal ?? ''}|${permit.mtls ? 1 : 0}`, () =>
      labels(source, permit.principal, permit.mtls),
    );
  // The verified peer, as the app sees it: `By=` is us, `URI=` the caller.
  const xfcc = (principal: string): string =>
    `By=${workloadSpiffeId(sidecar.config.current.trustDomain, self.namespace, self.serviceAccount)};URI=${principal}`;
  const authorizeRequest = (req: IncomingMessage, upgrade = false): Permit =>
    authorize(
      enforce,
      sidecar.config.current.services.get(self.service),
      req.socket,
      req.method!,
      pathOf(req.url ?? '/'),
      upgrade,
    );
  const rateLimit = createRateLimitStep(sidecar.config, sidecar.metrics);
  const resolve = (req: IncomingMessage, permit: Permit) =>
    attempt(() => {
      if (permit.denied !== null) throw permit.denied;
      return resolveInbound(req, sidecar.appPort, req.socket.localPort, capturedDstOf(req.socket));
    });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const headers: string[] = [];
    const facts = copyRequestHeaders(req.rawHeaders, headers, true);
    const requestId = facts.requestId ?? randomUUID();
    const permit = authorizeRequest(req);
    const recorder = recorderFor(facts.source, permit);
    const obs = observe(sidecar, inboundRequest(req, requestId, self, permit.principal, recorder), started);
    const target = resolve(req, permit);
    if ('flag' in target) {
      replyError(res, target);
      obs.finish(target.status, target.flag);
      return;
    }
    obs.origin = target.origin;
    if (rateLimit(req, res, permit.principal, obs.finish)) return;
    addForwardedHeaders(headers, facts, req.socket, permit.mtls ? 'https' : 'http', requestId);
    if (permit.principal !== null) headers.push('x-forwarded-client-cert', xfcc(permit.principal));
    obs.span?.inject(headers);
    const mesh = sidecar.config.current;
    const own = mesh.services.get(self.service);
    const grpc = grpcCallOf(req.headers, target.path);
    addGrpcHeaders(headers, grpc);
    new UpstreamCall(
      req,
      res,
      {
        // The app is spoken to in its service's protocol (forward/transport/select.ts).
        upstream: sidecar.pools.via(upstreamProtocolOf(own?.protocol)).upstream(target.origin, null),
        streamIdleTimeoutMs: (own ?? mesh).streamIdleTimeoutMs,
        method: req.method!,
        path: target.path,
        headers,
        // The caller's grpc-timeout, so the app's work stops with the caller's deadline.
        timeoutMs: callDeadlineMs(0, grpc),
        retry: null,
        grpc: grpc === null ? null : obs,
        responseHeaders: null,
        hasBody: facts.hasBody,
      },
      obs.finish,
      (r, err) => replyError(r, naming(err, obs)),
    ).start();
  };

  const upgrade = createUpgradeStep(sidecar);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const permit = authorizeRequest(req, true);
    const source = req.headers['x-meshlet-source'];
    const recorder = recorderFor(typeof source === 'string' ? source : undefined, permit);
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
    const obs = upgrade.observe(inboundRequest(req, requestId, self, permit.principal, recorder));
    const target = resolve(req, permit);
    if ('flag' in target) {
      upgrade.refuse(socket, obs, target);
      return;
    }
    // Identity headers from the network never reach the app; ours says who the verified peer is.
    for (const name of IDENTITY_HEADERS) delete req.headers[name];
    if (permit.principal !== null) req.headers['x-forwarded-client-cert'] = xfcc(permit.principal);
    req.url = target.path;
    upgrade.forward(req, socket, head, obs, target.origin, null);
  };

  const door = createFrontDoor(sidecar, {
    request: onRequest,
    upgrade: onUpgrade,
    rejected: (err) =>
      recordRefused(
        recorders.get('||0', () => labels(undefined, null, false)),
        'other',
        err.status,
        err.flag,
      ),
  });

  // The pod's own mode (a per-service override wins), read per connection so an edit applies to new ones.
  const mode = (): MtlsMode => {
    const mesh = sidecar.config.current;
    return mesh.services.get(self.service)?.mtls ?? mesh.mtls;
  };
  const server = createServer({ noDelay: true }, (socket) => {
    recordOriginalDst(socket);
    const m = tls === null ? 'disable' : mode();
    if (m === 'disable') return routeConnection(sidecar, door, 'inbound', socket);
    if (m === 'strict') return tls!.accept(socket);
    // permissive: a TLS ClientHello starts with 0x16, plaintext HTTP with a method letter (or the h2 preface's P).
    void readFirstByte(socket, sidecar.limits.headersTimeoutMs).then((first) => {
      if (first === null) socket.destroy();
      else if (isTlsClientHello(first)) tls!.accept(socket);
      else routeConnection(sidecar, door, 'inbound', socket);
    });
  });
  return { server, ...door };
}
