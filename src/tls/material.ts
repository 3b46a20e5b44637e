// The sidecar's own certificate, key and CA bundle, read from the
// csi-driver-spiffe layout (`tls.crt`, `tls.key`, `ca.crt`) and kept current:
// rotated files are picked up without a restart, new handshakes use them,
// established connections keep theirs. A bad or half-written rotation is
// rejected and the previous material keeps serving.
import { createHash, createPrivateKey, constants as cryptoConstants, X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { log as defaultLog, type Logger } from '../telemetry/log.ts';
import { spiffeIdOfCertificate } from './spiffe.ts';

export const CERT_FILE = 'tls.crt';
export const KEY_FILE = 'tls.key';
export const CA_FILE = 'ca.crt';
const FILES = [CERT_FILE, KEY_FILE, CA_FILE] as const;

/** One loaded, validated set of files. Immutable; replaced whole on rotation. */
export interface TlsSnapshot {
  /** cert + key + CA bundle as the only trust anchors; TLS 1.3 (both ends are meshlet). */
  readonly secureContext: SecureContext;
  readonly spiffeId: string;
  readonly serialNumber: string;
  readonly notAfter: Date;
  readonly loadedAt: Date;
}

export interface TlsMaterialOptions {
  log?: Logger;
  /** How often file metadata is compared when no watch event arrives. Default 500 ms. */
  pollIntervalMs?: number;
  /** Whether the config uses mTLS now; when not, missing files are only worth a debug line. */
  needed?: () => boolean;
}

interface TlsMaterialEvents {
  /** New material is in use (also emitted for the first load). */
  rotate: [snapshot: TlsSnapshot, previous: TlsSnapshot | null];
  /** Files changed but were rejected; the previous snapshot (if any) stays. */
  reject: [error: Error];
}

export class TlsNotReadyError extends Error {
  readonly code = 'ERR_MESHLET_TLS_NOT_READY';
  constructor(dir: string) {
    super(`no valid certificate loaded yet from ${dir}`);
    this.name = 'TlsNotReadyError';
  }
}

// TLS 1.3 only (both ends are meshlet), and no resumption: a resumed session
// skips the client certificate, so an identity could outlive its certificate's
// expiry or rotation by the ticket lifetime. With SSL_OP_NO_TICKET, TLS 1.3
// tickets are stateful, and OpenSSL keeps no server session to resume without
// a session ID context, which the inbound TLSSocket (unlike tls.Server) never sets.
const PROTOCOL = { minVersion: 'TLSv1.3', secureOptions: cryptoConstants.SSL_OP_NO_TICKET } as const;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Validates the three files and builds a secure context, or throws with a reason. */
export function buildTlsSnapshot(
  certPem: string,
  keyPem: string,
  caPem: string,
  now = new Date(),
): TlsSnapshot {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch {
    throw new Error(`${CERT_FILE} is not a PEM certificate`);
  }
  const spiffeId = spiffeIdOfCertificate(leaf.raw);
  if (spiffeId === null)
    throw new Error(`${CERT_FILE} has no valid SPIFFE ID (exactly one spiffe:// URI SAN)`);
  let keyMatches: boolean;
  try {
    keyMatches = leaf.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw new Error(`${KEY_FILE} is not a PEM private key`);
  }
  if (!keyMatches) throw new Error(`${KEY_FILE} does not belong to ${CERT_FILE}`);
  if (leaf.validToDate.getTime() <= now.getTime()) {
    throw new Error(`${CERT_FILE} expired at ${leaf.validToDate.toISOString()}`);
  }
  const anchors = caPem.match(PEM_CERTIFICATE) ?? [];
  try {
    if (anchors.length === 0) throw new Error('empty');
    for (const anchor of anchors) new X509Certificate(anchor);
  } catch {
    throw new Error(`${CA_FILE} is not a PEM certificate bundle`);
  }
  const secureContext = createSecureContext({ cert: certPem, key: keyPem, ca: caPem, ...PROTOCOL });
  const snapshot: TlsSnapshot = {
    secureContext,
    spiffeId,
    serialNumber: leaf.serialNumber,
    notAfter: leaf.validToDate,
    loadedAt: now,
  };
  return snapshot;
}

export class TlsMaterial extends EventEmitter<TlsMaterialEvents> {
  readonly dir: string;
  #log: Logger;
  #pollIntervalMs: number;
  #needed: () => boolean;
  #current: TlsSnapshot | null = null;
  // Metadata of the files last read, so an unchanged bad rotation is reported once.
  #fingerprint = '';
  #checking: Promise<void> | null = null;
  #recheck = false;
  #timer: NodeJS.Timeout | null = null;
  #watcher: FSWatcher | null = null;
  #closed = false;

  constructor(dir: string, options: TlsMaterialOptions = {}) {
    super();
    this.dir = dir;
    this.#log = options.log ?? defaultLog;
    this.#pollIntervalMs = options.pollIntervalMs ?? 500;
    this.#needed = options.needed ?? (() => true);
  }

  /** True once a valid set of files has been loaded; stays true across bad rotations. */
  get ready(): boolean {
    return this.#current !== null;
  }

  get current(): TlsSnapshot | null {
    return this.#current;
  }

  /** The context for a new handshake. Throws TlsNotReadyError before the first load. */
  get secureContext(): SecureContext {
    if (this.#current === null) throw new TlsNotReadyError(this.dir);
    return this.#current.secureContext;
  }

  get spiffeId(): string | null {
    return this.#current?.spiffeId ?? null;
  }

  /**
   * Loads what is there now and keeps watching. Resolves with `ready`: files
   * that are missing at start (the CSI driver may still be writing them) are
   * picked up later and announced with `rotate`.
   */
  async start(): Promise<boolean> {
    try {
      // kubelet swaps the `..data` symlink and editors rename files: both show up here.
      this.#watcher = watch(this.dir, { persistent: false }, () => this.#schedule());
      this.#watcher.on('error', () => this.#stopWatching());
    } catch {
      // The directory may not exist yet; polling covers it.
    }
    this.#poll();
    await this.check();
    return this.ready;
  }

  /** Compares the files with what was last read and reloads them if they changed. */
  check(): Promise<void> {
    if (this.#checking !== null) {
      this.#recheck = true;
      return this.#checking;
    }
    this.#checking = this.#checkNow().finally(() => {
      this.#checking = null;
      if (this.#recheck && !this.#closed) {
        this.#recheck = false;
        void this.check();
      }
    });
    return this.#checking;
  }

  close(): void {
    this.#closed = true;
    this.#stopWatching();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (!this.#closed) void this.check();
  }

  #poll(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#schedule();
      this.#poll();
    }, this.#pollIntervalMs);
    this.#timer.unref();
  }

  #stopWatching(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }

  async #checkNow(): Promise<void> {
    const before = await this.#readFingerprint();
    if (before === this.#fingerprint) return;
    let contents: string[];
    try {
      contents = await Promise.all(FILES.map((file) => readFile(join(this.dir, file), 'utf8')));
    } catch (err) {
      this.#reject(
        before,
        `cannot read certificate files: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
      return;
    }
    // A writer was busy while we read: come back on the next tick for a consistent set.
    if ((await this.#readFingerprint()) !== before) {
      this.#recheck = true;
      return;
    }
    let snapshot: TlsSnapshot;
    try {
      snapshot = buildTlsSnapshot(contents[0]!, contents[1]!, contents[2]!);
    } catch (err) {
      this.#reject(before, (err as Error).message);
      return;
    }
    this.#fingerprint = before;
    const previous = this.#current;
    this.#current = snapshot;
    this.#log.info(
      {
        dir: this.dir,
        spiffeId: snapshot.spiffeId,
        serial: snapshot.serialNumber,
        notAfter: snapshot.notAfter.toISOString(),
        previousSerial: previous?.serialNumber ?? null,
      },
      previous === null ? 'tls material loaded' : 'tls material rotated',
    );
    this.emit('rotate', snapshot, previous);
  }

  #reject(fingerprint: string, reason: string): void {
    this.#fingerprint = fingerprint;
    // Missing files before the first load are the normal start-up wait, not an error.
    const waiting = this.#current === null && fingerprint.includes('missing');
    const level = waiting ? (this.#needed() ? 'warn' : 'debug') : 'error';
    this.#log[level](
      { dir: this.dir, reason, keeping: this.#current?.serialNumber ?? null },
      this.#current === null
        ? 'tls material not usable yet'
        : 'tls rotation rejected, keeping previous material',
    );
    this.emit('reject', new Error(reason));
  }

  async #readFingerprint(): Promise<string> {
    const parts = await Promise.all(
      FILES.map(async (file) => {
        try {
          // The content itself, not stat metadata: file timestamps have the
          // kernel's coarse clock granularity, so two same-size writes in a
          // few milliseconds would otherwise look unchanged.
          return createHash('sha256')
            .update(await readFile(join(this.dir, file)))
            .digest('base64');
        } catch {
          return 'missing';
        }
      }),
    );
    return parts.join('|');
  }
}
