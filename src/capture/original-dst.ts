// The destination a redirected connection was really headed to, from the
// kernel's conntrack entry (SO_ORIGINAL_DST). Node has no getsockopt, so this
// goes through the small addon in native/linux, loaded on first use:
// a machine without the addon still proxies HTTP, it only loses non-HTTP TCP
// passthrough, and says so once.
import type { Socket } from 'node:net';
import { requireLinuxAddon } from '../runtime/linux-addon.ts';
import { log } from '../telemetry/log.ts';

export interface OriginalDst {
  address: string;
  port: number;
  family: 4 | 6;
}

interface Addon {
  originalDst(fd: number): OriginalDst | null;
}

let addon: Addon | null | undefined;

function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  const loaded = requireLinuxAddon<Addon>('original_dst');
  addon = loaded instanceof Error ? null : loaded;
  if (loaded instanceof Error) {
    log.warn(
      { err: loaded.message },
      'SO_ORIGINAL_DST addon not available (build it with `npm rebuild meshlet` or ' +
        '`node native/linux/build.mjs`); non-HTTP TCP passthrough is disabled',
    );
  }
  return addon;
}

/** Whether the addon could be loaded, for start-up logs and tests. */
export function originalDstAvailable(): boolean {
  return loadAddon() !== null;
}

/**
 * Original destination of the accepted connection on file descriptor `fd`, or
 * null when it was not redirected by netfilter NAT, the fd is not a TCP
 * socket, or the addon is missing. Throws only for a non-integer fd.
 */
export function originalDst(fd: number): OriginalDst | null {
  const impl = loadAddon();
  return impl === null ? null : impl.originalDst(fd);
}

/**
 * Same for an accepted `net.Socket`, and null also when the connection was
 * not redirected: conntrack then reports the address it was accepted on, and
 * relaying there would connect the proxy to itself (a client that dialled
 * the outbound port directly, e.g. through HTTP_PROXY). Node keeps the
 * descriptor on the internal TCP handle (`socket._handle.fd`, Unix only); a
 * TLS or already-closed socket has none and yields null.
 */
export function originalDstOf(socket: Socket): OriginalDst | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  const dst = originalDst(fd);
  if (dst === null) return null;
  const local = socket.localAddress?.replace(/^::ffff:(?=\d+\.)/, '');
  return dst.port === socket.localPort && dst.address === local ? null : dst;
}
