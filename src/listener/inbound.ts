// Inbound: traffic to this pod. Each request goes through the same named
// steps, top to bottom:
//   authorize (authz/enforce.ts)     verified caller → allow rules → Permit (principal for labels), before any byte reaches the app
//   observe   (telemetry/observe.ts) SERVER span, metric record, access log: one finish for every outcome
//   resolve   (route/resolve.ts)     the request target, and the app port the caller dialled
//   headers   (forward/headers.ts)   identity headers from the network out, our XFCC in
//   forward   (forward/call.ts)      to 127.0.0.1:<app port>
//   rescue    (listener/rescue.ts)   every error reply, from the error table
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { authorize, type InboundSecurity, type Permit } from '../authz/enforce.ts';
import type { MtlsMode } from '../config/types.ts';
import { ProxyError } from '../errors.ts';
import { UpstreamCall } from '../forward/call.ts';
import { copyRequestHeaders, IDENTITY_HEADERS } from '../forward/headers.ts';
import { pathOf } from '../route/match.ts';
import { type InboundTarget, resolveInbound } from '../route/resolve.ts';
import type { Sidecar } from '../sidecar.ts';
import { inboundLabels, RecorderCache } from '../telemetry/labels.ts';
import { observe, recordRefused } from '../telemetry/observe.ts';
import type { RequestRecorder } from '../telemetry/types.ts';
import { type InboundTls, isTlsClientHello, readFirstByte } from '../tls/inbound.ts';
import { workloadSpiffeId } from '../tls/spiffe.ts';
import { capturedDstOf, type Listener, recordOriginalDst, routeConnection } from './accept.ts';
import { createHttpServer } from './http.ts';
import { replyError } from './rescue.ts';
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
  // Who we are, for the XFCC `By=` field.
  const selfPrincipal = (): string =>
    workloadSpiffeId(sidecar.config.current.trustDomain, self.namespace, self.serviceAccount);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const mesh = sidecar.config.current;
    const service = mesh.services.get(self.service);
    const method = req.method!;
    const socket = req.socket;
    const path = pathOf(req.url ?? '/');
    const headers: string[] = [];
    const facts = copyRequestHeaders(req.rawHeaders, headers, true);
    const requestId = facts.requestId ?? randomUUID();
    const permit = authorize(
      enforce,
      sidecar.config.current.services.get(self.service),
      socket,
      method,
      path,
    );
    const obs = observe(
      sidecar,
      {
        direction: 'inbound',
        method,
        recorder: recorderFor(facts.source, permit),
        spanName: `${method} ${self.service}`,
        spanHeaders: req.headers,
        spanAttributes: () => ({
          'http.request.method': method,
          'url.path': path,
          'server.address': self.service,
          'network.peer.address': socket.remoteAddress ?? '',
          'meshlet.request_id': requestId,
          'meshlet.version': self.version,
        }),
        logFields: { path, principal: permit.principal },
      },
      started,
    );
    let target: InboundTarget;
    try {
      if (permit.denied !== null) throw permit.denied;
      target = resolveInbound(req, sidecar.appPort, socket.localPort, capturedDstOf(socket));
    } catch (err) {
      const proxyErr = err instanceof ProxyError ? err : new ProxyError('DPE', (err as Error).message);
      replyError(res, proxyErr);
      obs.finish(proxyErr.status, proxyErr.flag);
      return;
    }
    headers.push(
      'x-forwarded-for',
      facts.forwardedFor === undefined
        ? (socket.remoteAddress ?? '')
        : `${facts.forwardedFor}, ${socket.remoteAddress ?? ''}`,
      'x-forwarded-proto',
      facts.forwardedProto ?? (permit.mtls ? 'https' : 'http'),
      'x-request-id',
      requestId,
    );
    if (permit.principal !== null)
      headers.push('x-forwarded-client-cert', `By=${selfPrincipal()};URI=${permit.principal}`);
    obs.span?.inject(headers);
    new UpstreamCall(
      req,
      res,
      {
        upstream: sidecar.pools.upstream(target.origin, null),
        streamIdleTimeoutMs: service?.streamIdleTimeoutMs ?? mesh.streamIdleTimeoutMs,
        method,
        path: target.path,
        headers,
        timeoutMs: 0,
        retry: null,
        responseHeaders: null,
        hasBody: facts.hasBody,
      },
      obs.finish,
      replyError,
    ).start();
  };

  const upgrade = createUpgradeStep(sidecar);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const method = req.method!;
    const path = pathOf(req.url ?? '/');
    const source = req.headers['x-meshlet-source'];
    const permit = authorize(
      enforce,
      sidecar.config.current.services.get(self.service),
      req.socket,
      method,
      path,
      true,
    );
    const obs = upgrade.observe(
      req,
      'inbound',
      recorderFor(typeof source === 'string' ? source : undefined, permit),
      `${method} ${self.service}`,
    );
    let target: InboundTarget;
    try {
      if (permit.denied !== null) throw permit.denied;
      target = resolveInbound(req, sidecar.appPort, req.socket.localPort, capturedDstOf(req.socket));
    } catch (err) {
      upgrade.refuse(
        socket,
        obs,
        err instanceof ProxyError ? err : new ProxyError('DPE', (err as Error).message),
      );
      return;
    }
    // Identity headers from the network never reach the app; ours says who the verified peer is.
    for (const name of IDENTITY_HEADERS) delete req.headers[name];
    if (permit.principal !== null)
      req.headers['x-forwarded-client-cert'] = `By=${selfPrincipal()};URI=${permit.principal}`;
    req.url = target.path;
    upgrade.forward(req, socket, head, obs, target.origin, null);
  };

  const http = createHttpServer(sidecar, {
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
    if (m === 'disable') return routeConnection(sidecar, http, 'inbound', socket);
    if (m === 'strict') return tls!.accept(socket);
    // permissive: a TLS ClientHello starts with 0x16, plaintext HTTP with a method letter.
    void readFirstByte(socket, sidecar.limits.headersTimeoutMs).then((first) => {
      if (first === null) socket.destroy();
      else if (isTlsClientHello(first)) tls!.accept(socket);
      else routeConnection(sidecar, http, 'inbound', socket);
    });
  });
  return { server, http };
}
