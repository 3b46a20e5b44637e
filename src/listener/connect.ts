// CONNECT host:port on the outbound listener (apps that use HTTPS_PROXY for
// egress): resolve decides (a tunnel under allowAny, NR under registryOnly or
// for a mesh service), then the connection becomes a TCP relay counted like
// captured TCP passthrough (meshlet_tcp_* with direction="outbound"). A
// refusal is observed like any refused request (span, record, access log).
// A listener that opens no tunnels (inbound) refuses every CONNECT.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ProxyError, toProxyError } from '../errors.ts';
import { parseAuthority, resolveConnect } from '../route/resolve.ts';
import type { Sidecar } from '../sidecar.ts';
import { observe, outboundRequest } from '../telemetry/observe.ts';
import type { RequestRecorder } from '../telemetry/types.ts';
import { writeRawError } from './rescue.ts';
import { passthroughTcp } from './tcp-passthrough.ts';

const ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';

/** A CONNECT handler; `refusedRecorder` picks the labels a refusal is counted under. */
export function createConnectHandler(
  sidecar: Sidecar,
  refusedRecorder: (err: ProxyError) => RequestRecorder,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, duplex, head) => {
    const socket = duplex as Socket;
    const refuse = (err: ProxyError): void => {
      const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
      observe(sidecar, outboundRequest(req, requestId, err, refusedRecorder(err))).finish(
        err.status,
        err.flag,
      );
      writeRawError(socket, err);
    };
    let target: ReturnType<typeof resolveConnect>;
    try {
      target = resolveConnect(sidecar.config.current, req);
    } catch (err) {
      refuse(toProxyError(err));
      return;
    }
    const tcp = sidecar.metrics.tcp({ direction: 'outbound', destination_port: String(target.port) });
    passthroughTcp(
      socket,
      head.length > 0 ? head : null,
      { address: target.host, port: target.port },
      {
        onOpen: () => {
          tcp.opened();
          socket.write(ESTABLISHED);
        },
        onClose: (bytesIn, bytesOut) => tcp.bytes(bytesIn, bytesOut),
        onConnectError: (err) =>
          refuse(
            new ProxyError(
              'UF',
              `CONNECT ${target.host}:${target.port}: ${(err as { code?: string }).code ?? err.message}`,
            ),
          ),
      },
    );
  };
}

/**
 * The answer of a listener that opens no tunnels: 404 `NR`, as Envoy answers
 * a CONNECT no route matches (no connect matcher); a malformed one (two Hosts,
 * a target that is not host:port) is 400 `DPE`, as on the outbound listener.
 */
export function connectRefusal(req: IncomingMessage): ProxyError {
  if ((req.headersDistinct.host?.length ?? 0) > 1)
    return new ProxyError('DPE', 'request has more than one Host header');
  try {
    if (parseAuthority(req.url ?? '', 'CONNECT target').port === null)
      return new ProxyError('DPE', 'malformed CONNECT target (host:port)');
  } catch (err) {
    return toProxyError(err);
  }
  return new ProxyError('NR', 'CONNECT is not served on this listener (no tunnels)', { status: 404 });
}
