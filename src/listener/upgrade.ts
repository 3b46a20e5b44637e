// The upgrade (WebSocket) path of both listeners: the same observe step as a
// plain request (span, record, access log), then http-proxy for the 101
// handshake and the two-way pipe. A mesh service is reached over mTLS, never
// by a plaintext downgrade. The exchange is recorded when the client socket
// closes, with the status the upstream answered (101 for an upgrade).
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { type Flag, ProxyError, statusOf, upstreamFlag } from '../errors.ts';
import { createUpgradeProxy } from '../forward/upgrade.ts';
import type { Sidecar } from '../sidecar.ts';
import { type Observation, type ObservedRequest, observe } from '../telemetry/observe.ts';
import { writeRawError } from './rescue.ts';

interface UpgradeState {
  readonly obs: Observation;
  status: number;
  flag: Flag | null;
}

const kState = Symbol('meshlet.upgrade');
type Tracked = IncomingMessage & { [kState]?: UpgradeState };

export interface UpgradeStep {
  /** Starts observing an upgrade request, as a plain request of its listener is observed. */
  observe(request: ObservedRequest): Observation;
  /** Refuses it with an error from the table on the raw socket. */
  refuse(socket: Duplex, obs: Observation, err: ProxyError): void;
  /** Proxies it to `origin`, over mTLS when `peerId` names the SPIFFE id to require. */
  forward(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    obs: Observation,
    origin: string,
    peerId: string | null,
  ): void;
}

export function createUpgradeStep(sidecar: Sidecar): UpgradeStep {
  const proxy = createUpgradeProxy();
  proxy.on('proxyReqWs', (proxyReq: ClientRequest, req: Tracked) => {
    const state = req[kState];
    if (state === undefined) return;
    proxyReq.once('response', (res: IncomingMessage) => {
      state.status = res.statusCode ?? 0;
    });
    proxyReq.once('upgrade', () => {
      state.status = 101;
    });
  });
  const refuse = (socket: Duplex, obs: Observation, err: ProxyError): void => {
    writeRawError(socket as Socket, err);
    obs.finish(err.status, err.flag);
  };
  return {
    observe: (request) =>
      observe(sidecar, { ...request, logFields: { ...request.logFields, upgrade: true } }),
    refuse,
    forward(req, socket, head, obs, origin, peerId) {
      let ssl: ConnectionOptions | undefined;
      if (peerId !== null) {
        try {
          ssl = sidecar.meshTls(peerId);
        } catch (err) {
          refuse(socket, obs, new ProxyError('UF', (err as Error).message));
          return;
        }
      }
      const state: UpgradeState = { obs, status: 0, flag: null };
      (req as Tracked)[kState] = state;
      socket.once('close', () => {
        const flag = state.flag ?? (state.status === 0 ? 'DC' : '-');
        obs.finish(state.status === 0 && state.flag !== null ? statusOf(state.flag) : state.status, flag);
      });
      const onError = (err: Error): void => {
        if (state.status !== 0) return;
        const proxyErr = new ProxyError(
          upstreamFlag(err),
          `upgrade: ${(err as { code?: string }).code ?? err.message}`,
        );
        state.flag = proxyErr.flag;
        writeRawError(socket as Socket, proxyErr);
      };
      if (ssl === undefined) {
        proxy.ws(req, socket, head, { target: origin }, onError);
        return;
      }
      let url: URL;
      try {
        url = new URL(origin);
      } catch (err) {
        refuse(socket, obs, new ProxyError('UF', `upgrade: bad upstream origin: ${(err as Error).message}`));
        return;
      }
      const { hostname, port } = url;
      proxy.ws(
        req,
        socket,
        head,
        { target: { protocol: 'https:', host: hostname, port }, ssl } as never,
        onError,
      );
    },
  };
}
