// Inbound: traffic to this pod. The stack: learn the caller (verified peer
// certificate only) → strip identity headers from the network → allow rules
// (before any byte reaches the app) → forward to 127.0.0.1:<app port> →
// record metrics and the SERVER span. Errors go to the one rescue step.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AllowDecision } from '../authz/types.ts';
import type { CompiledAllow } from '../authz/types.ts';
import { ProxyError, type ResponseFlags } from '../errors.ts';
import { UpstreamCall } from '../forward/call.ts';
import { createUpgradeProxy } from '../forward/upgrade.ts';
import { copyRequestHeaders, IDENTITY_HEADERS } from '../forward/headers.ts';
import { pathOf } from '../route/match.ts';
import type { Sidecar } from '../sidecar.ts';
import type { RequestRecorder, StaticRequestLabels } from '../telemetry/types.ts';
import { createServer } from 'node:net';
import type { MtlsMode } from '../config/types.ts';
import { type InboundTls, isTlsClientHello, readFirstByte } from '../tls/inbound.ts';
import { capturedDstOf, type Listener, recordOriginalDst, routeConnection } from './accept.ts';
import { createHttpServer } from './http.ts';
import { replyError, writeRawError } from './rescue.ts';

export interface InboundSecurity {
  /** SPIFFE id of a verified peer certificate on this connection, else null (plaintext or unverified). */
  peerIdentity(socket: Socket): string | null;
  /** Pure allow decision over the compiled rules of this pod's service. */
  allowDecision(
    allow: CompiledAllow | null,
    principal: string | null,
    method: string,
    path: string,
  ): AllowDecision;
}

/** Most distinct callers whose labels are kept; beyond it they count as `unknown` (bounded cardinality). */
const MAX_SOURCES = 512;

export function createInboundListener(
  sidecar: Sidecar,
  security: InboundSecurity,
  tls: InboundTls | null,
): Listener {
  const { self } = sidecar;
  const appOrigin = `http://127.0.0.1:${sidecar.appPort}`;
  const recorders = new Map<string, RequestRecorder>();

  const recorderFor = (
    source: string | undefined,
    principal: string | null,
    mtls: boolean,
  ): RequestRecorder => {
    const key = `${source ?? ''}|${principal ?? ''}|${mtls ? 1 : 0}`;
    let r = recorders.get(key);
    if (r !== undefined) return r;
    const mesh = sidecar.config.current;
    const [workload, namespace, version] =
      recorders.size < MAX_SOURCES ? parseSource(source) : UNKNOWN_SOURCE;
    const service = mesh.services.get(self.service);
    const labels: StaticRequestLabels = {
      reporter: 'destination',
      source_workload: workload,
      source_workload_namespace:
        principal === null ? namespace : (principalNamespace(principal) ?? namespace),
      source_version: version,
      source_principal: principal ?? 'unknown',
      destination_workload: self.workload,
      destination_workload_namespace: self.namespace,
      destination_service: service?.fqdn ?? `${self.service}.${self.namespace}.svc.cluster.local`,
      destination_service_name: self.service,
      destination_version: self.version,
      request_protocol: 'http',
      connection_security_policy: mtls ? 'mutual_tls' : 'none',
    };
    r = sidecar.metrics.recorder(labels);
    if (recorders.size < MAX_SOURCES) recorders.set(key, r);
    return r;
  };
  // Cached labels name the config's fqdn; rebuild them when the config changes.
  sidecar.config.on('change', () => recorders.clear());
  const rejectedRecorder = (): RequestRecorder => recorderFor(undefined, null, false);

  const wsProxy = createUpgradeProxy();

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const mesh = sidecar.config.current;
    sidecar.inFlight++;
    if (sidecar.draining) res.shouldKeepAlive = false;
    const method = req.method!;
    const socket = req.socket;
    const principal = security.peerIdentity(socket);
    const mtls = principal !== null;
    const headers: string[] = [];
    const facts = copyRequestHeaders(req.rawHeaders, headers, true);
    const recorder = recorderFor(facts.source, principal, mtls);
    const requestId = facts.requestId ?? randomUUID();
    const path = pathOf(req.url ?? '/');
    const span = !sidecar.tracing.enabled
      ? null
      : sidecar.tracing.start('server', `${method} ${self.service}`, req.headers, {
          'http.request.method': method,
          'url.path': path,
          'server.address': self.service,
          'network.peer.address': socket.remoteAddress ?? '',
          'meshlet.request_id': requestId,
          'meshlet.version': self.version,
        });

    const finish = (
      status: number,
      flags: ResponseFlags,
      requestBytes: number,
      responseBytes: number,
    ): void => {
      sidecar.inFlight--;
      span?.end(status, flags);
      const seconds = (performance.now() - started) / 1000;
      recorder.record(method, status, flags, seconds, requestBytes, responseBytes, span?.traceId);
      if (sidecar.accessLog) {
        sidecar.log.info(
          { dir: 'inbound', method, path, status, flags, principal, ms: seconds * 1000 },
          'access',
        );
      }
    };

    const service = mesh.services.get(self.service);
    const allow = service?.allow ?? null;
    if (allow !== null) {
      const decision = security.allowDecision(allow, principal, method, path);
      if (!decision.allowed || decision.audited) {
        sidecar.metrics.authzDenied(
          principal ?? 'unknown',
          service!.fqdn,
          decision.audited ? 'audit' : 'enforce',
        );
        sidecar.log.warn(
          { principal, method, path, mode: decision.audited ? 'audit' : 'enforce', reason: decision.reason },
          decision.audited ? 'allow rules would deny (audit mode)' : 'denied by allow rules',
        );
      }
      if (!decision.allowed) {
        const err = new ProxyError(
          'RBAC',
          `caller ${principal ?? '(unauthenticated)'} is not allowed to ${method} ${path}`,
        );
        replyError(res, err);
        finish(err.status, err.flag, 0, 0);
        return;
      }
    }

    headers.push(
      'x-forwarded-for',
      facts.forwardedFor === undefined
        ? (socket.remoteAddress ?? '')
        : `${facts.forwardedFor}, ${socket.remoteAddress ?? ''}`,
      'x-forwarded-proto',
      facts.forwardedProto ?? (mtls ? 'https' : 'http'),
      'x-request-id',
      requestId,
    );
    if (principal !== null) {
      headers.push('x-forwarded-client-cert', `By=${selfPrincipal(sidecar)};URI=${principal}`);
    }
    span?.inject(headers);
    // Captured: the container port the caller dialled (multi-port pods); else the app port.
    const dst = capturedDstOf(socket);
    const origin =
      dst === undefined || dst.port === sidecar.appPort || dst.port === socket.localPort
        ? appOrigin
        : `http://127.0.0.1:${dst.port}`;
    new UpstreamCall(
      req,
      res,
      {
        dispatcher: sidecar.pools.get(origin, null),
        method,
        path: req.url ?? '/',
        headers,
        timeoutMs: 0,
        retry: null,
        responseHeaders: null,
        hasBody: facts.hasBody,
      },
      finish,
      replyError,
    ).start();
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const service = sidecar.config.current.services.get(self.service);
    const principal = security.peerIdentity(req.socket);
    const allow = service?.allow ?? null;
    const method = req.method!;
    const path = pathOf(req.url ?? '/');
    if (allow !== null) {
      const decision = security.allowDecision(allow, principal, method, path);
      if (!decision.allowed || decision.audited) {
        const mode = decision.audited ? 'audit' : 'enforce';
        sidecar.metrics.authzDenied(principal ?? 'unknown', service!.fqdn, mode);
        sidecar.log.warn(
          { principal, method, path, mode, reason: decision.reason, upgrade: true },
          decision.audited ? 'allow rules would deny (audit mode)' : 'denied by allow rules',
        );
      }
      if (!decision.allowed) {
        const err = new ProxyError('RBAC', 'denied by allow rules');
        recorderFor(
          req.headers['x-meshlet-source'] as string | undefined,
          principal,
          principal !== null,
        ).record(method, err.status, err.flag, 0, 0, 0, undefined);
        writeRawError(socket as Socket, err);
        return;
      }
    }
    // Identity headers from the network never reach the app; ours says who the verified peer is.
    for (const name of IDENTITY_HEADERS) delete req.headers[name];
    if (principal !== null) {
      req.headers['x-forwarded-client-cert'] = `By=${selfPrincipal(sidecar)};URI=${principal}`;
    }
    wsProxy.ws(req, socket, head, { target: appOrigin });
  };

  const http = createHttpServer(sidecar, {
    request: onRequest,
    upgrade: onUpgrade,
    rejected: (err) => rejectedRecorder().record('other', err.status, err.flag, 0, 0, 0, undefined),
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

const UNKNOWN_SOURCE = ['unknown', 'unknown', 'unknown'] as const;
const NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$/;

/** `workload;namespace;version` from the caller's sidecar; anything malformed is `unknown`. */
function parseSource(value: string | undefined): readonly [string, string, string] {
  if (value === undefined) return UNKNOWN_SOURCE;
  const parts = value.split(';');
  if (parts.length !== 3 || !parts.every((p) => NAME.test(p))) return UNKNOWN_SOURCE;
  return [parts[0]!, parts[1]!, parts[2]!];
}

function principalNamespace(principal: string): string | null {
  const m = /\/ns\/([^/]+)\/sa\//.exec(principal);
  return m === null ? null : m[1]!;
}

function selfPrincipal(sidecar: Sidecar): string {
  const mesh = sidecar.config.current;
  return `spiffe://${mesh.trustDomain}/ns/${sidecar.self.namespace}/sa/${sidecar.self.serviceAccount}`;
}
