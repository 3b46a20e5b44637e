// Development certificates: a throwaway CA and SPIFFE X.509-SVIDs in the
// cert-manager csi-driver-spiffe layout, for `meshlet certs dev`, the demo and
// tests (which also mint hostile certificates with it). Production
// certificates come from cert-manager or SPIRE, never from here.
import { createPrivateKey, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSpiffeId, workloadSpiffeId } from './spiffe.ts';
import { x509 } from './x509.ts';

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
// Back-date certificates a little so a peer whose clock is slightly behind accepts them.
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface DevCa {
  readonly trustDomain: string;
  readonly certificate: x509.X509Certificate;
  readonly certPem: string;
  readonly keys: webcrypto.CryptoKeyPair;
}

export interface IssuedCertificate {
  /** The single URI SAN, or null when the certificate was minted with other URIs. */
  readonly spiffeId: string | null;
  readonly certPem: string;
  readonly keyPem: string;
  /** PEM of the issuing CA: what goes into `ca.crt`. */
  readonly caPem: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CaOptions {
  trustDomain: string;
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
  days?: number;
}

export interface LeafOptions {
  /** URI SAN; default none. Ignored when `uris` is given. */
  spiffeId?: string;
  /** Exact URI SANs, to mint certificates with zero or several URIs. */
  uris?: string[];
  dnsNames?: string[];
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
  days?: number;
}

function validity(options: { notBefore?: Date; notAfter?: Date; days?: number }): {
  notBefore: Date;
  notAfter: Date;
} {
  const notBefore = options.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter =
    options.notAfter ?? new Date(notBefore.getTime() + CLOCK_SKEW_MS + (options.days ?? 365) * DAY_MS);
  return { notBefore, notAfter };
}

/** A positive 128-bit serial number in hex, as RFC 5280 recommends. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  bytes[0]! |= 0x01;
  return bytes.toString('hex');
}

/** PEM with a final newline, like openssl writes it, so bundles concatenate cleanly. */
function pemText(certificate: x509.X509Certificate): string {
  return `${certificate.toString('pem')}\n`;
}

function keyPemOf(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

export async function createDevCa(options: CaOptions): Promise<DevCa> {
  if (parseSpiffeId(`spiffe://${options.trustDomain}`) === null) {
    throw new Error(`invalid trust domain '${options.trustDomain}'`);
  }
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [options.commonName ?? 'meshlet dev CA'] }, { O: [options.trustDomain] }],
    ...validity({ days: 3650, ...options }),
    signingAlgorithm: EC_P256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${options.trustDomain}` }]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { trustDomain: options.trustDomain, certificate, certPem: pemText(certificate), keys };
}

/** Signs an X.509-SVID (or, with odd options, a deliberately bad one for tests). */
export async function issueLeaf(ca: DevCa, options: LeafOptions): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const uris = options.uris ?? (options.spiffeId === undefined ? [] : [options.spiffeId]);
  const names = [
    ...uris.map((value) => ({ type: 'url' as const, value })),
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  const { notBefore, notAfter } = validity(options);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature |
        x509.KeyUsageFlags.keyEncipherment |
        x509.KeyUsageFlags.keyAgreement,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  // SPIFFE puts identity in the SAN; mark it critical when the subject is empty (RFC 5280 4.2.1.6).
  if (names.length > 0)
    extensions.push(new x509.SubjectAlternativeNameExtension(names, options.commonName === undefined));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: options.commonName === undefined ? [] : [{ CN: [options.commonName] }],
    issuer: ca.certificate.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm: EC_P256,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return {
    spiffeId: uris.length === 1 ? uris[0]! : null,
    certPem: pemText(certificate),
    keyPem: keyPemOf(keys.privateKey),
    caPem: ca.certPem,
    // Upper-case hex, as node:crypto X509Certificate reports it.
    serialNumber: certificate.serialNumber.toUpperCase(),
    notBefore,
    notAfter,
  };
}

/** Writes a file whole (temp file + rename), so a watcher never reads half of it. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

/** Writes `tls.crt`, `tls.key` (mode 0600) and `ca.crt` into `dir`. */
export async function writeTlsDir(
  dir: string,
  cert: IssuedCertificate,
  caPem: string = cert.caPem,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, 'ca.crt'), caPem, 0o644);
  await writeAtomic(join(dir, 'tls.key'), cert.keyPem, 0o600);
  await writeAtomic(join(dir, 'tls.crt'), cert.certPem, 0o644);
}

/** Saves the CA with its key (0600) so later runs can issue more leaves under it. */
export async function saveDevCa(ca: DevCa, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, 'ca.key'), keyPemOf(ca.keys.privateKey), 0o600);
  await writeAtomic(join(dir, 'ca.crt'), ca.certPem, 0o644);
}

/** Loads a CA written by saveDevCa, or null when `dir` has none. */
export async function loadDevCa(dir: string): Promise<DevCa | null> {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = await readFile(join(dir, 'ca.crt'), 'utf8');
    keyPem = await readFile(join(dir, 'ca.key'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const certificate = new x509.X509Certificate(certPem);
  const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  const uri = san?.names.items.find((name) => name.type === 'url')?.value ?? '';
  const trustDomain = parseSpiffeId(uri)?.trustDomain;
  if (trustDomain === undefined)
    throw new Error(`${join(dir, 'ca.crt')} is not a meshlet dev CA (no spiffe:// URI SAN)`);
  // createPrivateKey also reads SEC1 (`EC PRIVATE KEY`) files made by openssl.
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, EC_P256, true, ['sign']);
  const publicKey = await certificate.publicKey.export(EC_P256, ['verify']);
  return { trustDomain, certificate, certPem, keys: { privateKey, publicKey } };
}

export interface DevCertsOptions {
  out: string;
  trustDomain: string;
  services: readonly string[];
  namespace?: string;
  days?: number;
  /** Make a new CA even when `out` already holds one. */
  newCa?: boolean;
}

export interface DevCertsResult {
  readonly ca: DevCa;
  readonly caCreated: boolean;
  readonly leaves: ReadonlyArray<{ service: string; dir: string; spiffeId: string; notAfter: Date }>;
}

/**
 * `meshlet certs dev`: a CA in `out/ca.{crt,key}` (reused when present, so
 * adding a service keeps the others valid) and `out/<service>/{tls.crt,
 * tls.key,ca.crt}` with `spiffe://<td>/ns/<ns>/sa/<service>`.
 */
export async function writeDevCerts(options: DevCertsOptions): Promise<DevCertsResult> {
  const namespace = options.namespace ?? 'default';
  if (!DNS_LABEL.test(namespace)) throw new Error(`invalid namespace '${namespace}'`);
  for (const service of options.services) {
    if (!DNS_LABEL.test(service))
      throw new Error(`invalid service name '${service}' (a DNS label: a-z, 0-9, '-')`);
  }
  let ca = options.newCa === true ? null : await loadDevCa(options.out);
  const caCreated = ca === null;
  if (ca === null) {
    ca = await createDevCa({ trustDomain: options.trustDomain });
    await saveDevCa(ca, options.out);
  } else if (ca.trustDomain !== options.trustDomain) {
    throw new Error(
      `${join(options.out, 'ca.crt')} belongs to trust domain '${ca.trustDomain}', not '${options.trustDomain}' (use --new-ca or another --out)`,
    );
  }
  const leaves = [];
  for (const service of options.services) {
    const spiffeId = workloadSpiffeId(options.trustDomain, namespace, service);
    const leaf = await issueLeaf(ca, {
      spiffeId,
      ...(options.days === undefined ? {} : { days: options.days }),
    });
    const dir = join(options.out, service);
    await writeTlsDir(dir, leaf);
    leaves.push({ service, dir, spiffeId, notAfter: leaf.notAfter });
  }
  return { ca, caCreated, leaves };
}
