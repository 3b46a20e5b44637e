// Pipelined requests on one client connection are handled one at a time: the
// next is not forwarded before the previous response has finished, so an
// unsafe request completes before the one after it is sent (RFC 9112 §9.3.2),
// and one client connection holds at most one upstream request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Connection {
  busy: boolean;
  /** The request being handled: an aborted upload's parser error belongs to it. */
  current: IncomingMessage | null;
  readonly queue: Array<[IncomingMessage, ServerResponse]>;
}

const kConnection = Symbol('meshlet.connection');
type Tracked = Socket & { [kConnection]?: Connection };

/** Wraps a request handler so that each connection's requests run in order, one at a time. */
export function serializePerConnection(handler: Handler): Handler {
  const next = (conn: Connection, last: ServerResponse): void => {
    // A response that closes the connection (`connection: close`, a DPE, a
    // drain) is its last: the requests pipelined behind it are never forwarded.
    if ((last as { _last?: boolean })._last === true) conn.queue.length = 0;
    const item = conn.queue.shift();
    if (item === undefined) {
      conn.busy = false;
      return;
    }
    run(conn, item[0], item[1]);
  };
  const run = (conn: Connection, req: IncomingMessage, res: ServerResponse): void => {
    conn.busy = true;
    conn.current = req;
    // 'close' fires once the response is finished or the connection is gone.
    res.once('close', () => next(conn, res));
    handler(req, res);
  };
  return (req, res) => {
    const socket = req.socket as Tracked;
    let conn = socket[kConnection];
    if (conn === undefined) {
      conn = { busy: false, current: null, queue: [] };
      socket[kConnection] = conn;
      // Requests still waiting when the client leaves are never forwarded.
      socket.once('close', () => {
        conn!.queue.length = 0;
      });
    }
    if (conn.busy) conn.queue.push([req, res]);
    else run(conn, req, res);
  };
}

/** True when the connection's current request has not been received whole (the client stopped mid-body). */
export function requestInProgress(socket: Socket): boolean {
  const req = (socket as Tracked)[kConnection]?.current;
  return req != null && !req.complete;
}
