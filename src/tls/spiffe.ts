// SPIFFE IDs: parsing by the SPIFFE ID spec, reading them from X.509-SVIDs,
// and the one function the request path asks for the caller's identity.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { type PeerCertificate, TLSSocket } from 'node:tls';

type Asn1 = typeof import('@peculiar/asn1-schema') & typeof import('@peculiar/asn1-x509');
// The ASN.1 parser is loaded with the first certificate: a plaintext sidecar
// never reads one and saves its 1.7 MiB of idle RSS (BENCHMARKS.md, "Footprint").
let asn1Modules: Asn1 | null = null;
function asn1(): Asn1 {
  if (asn1Modules === null) {
    const require = createRequire(import.meta.url);
    asn1Modules = { ...require('@peculiar/asn1-schema'), ...require('@peculiar/asn1-x509') } as Asn1;
  }
  return asn1Modules;
}

const SCHEME = 'spiffe://';
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

export interface SpiffeId {
  readonly trustDomain: string;
  /** `/ns/default/sa/reviews`; empty for a trust domain's own ID. */
  readonly path: string;
}

/**
 * Parses a SPIFFE ID strictly: lower-case scheme and trust domain, no port,
 * user info, query, fragment or percent-encoding, no empty, `.` or `..`
 * segments. Anything looser could let two spellings name one workload.
 */
export function parseSpiffeId(uri: string): SpiffeId | null {
  if (uri.length > 2048 || !uri.startsWith(SCHEME)) return null;
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (trustDomain === '' || trustDomain.length > 255 || !TRUST_DOMAIN.test(trustDomain)) return null;
  if (path !== '' && !path.slice(1).split('/').every(isPathSegment)) return null;
  return { trustDomain, path };
}

function isPathSegment(segment: string): boolean {
  return segment !== '.' && segment !== '..' && PATH_SEGMENT.test(segment);
}

/** `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`, the Kubernetes workload form. */
export function workloadSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${SCHEME}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** True for a valid SPIFFE ID of a workload (non-empty path) in `trustDomain`. */
export function isWorkloadIdIn(spiffeId: string, trustDomain: string): boolean {
  const id = parseSpiffeId(spiffeId);
  return id !== null && id.path !== '' && id.trustDomain === trustDomain;
}

/**
 * The SPIFFE ID of an X.509-SVID (DER). An SVID carries exactly one URI SAN;
 * a certificate with none, several, or an invalid one has no identity.
 */
export function spiffeIdOfCertificate(der: Uint8Array | ArrayBuffer): string | null {
  let uris: string[];
  const { AsnConvert, Certificate, id_ce_subjectAltName, SubjectAlternativeName } = asn1();
  try {
    // The bare ASN.1 schema, not @peculiar/x509: this runs in the sidecar, which
    // should not pay for the certificate-generation stack at start-up.
    const extensions = AsnConvert.parse(der, Certificate).tbsCertificate.extensions ?? [];
    const sans = extensions.filter((ext) => ext.extnID === id_ce_subjectAltName);
    // RFC 5280 allows one SAN extension; two is a malformed certificate, not two identities.
    if (sans.length !== 1) return null;
    const names = AsnConvert.parse(sans[0]!.extnValue.buffer, SubjectAlternativeName);
    uris = names.flatMap((name) =>
      name.uniformResourceIdentifier === undefined ? [] : [name.uniformResourceIdentifier],
    );
  } catch {
    return null;
  }
  if (uris.length !== 1) return null;
  const id = parseSpiffeId(uris[0]!);
  return id === null || id.path === '' ? null : uris[0]!;
}

// One certificate parse per connection, not per request on a keep-alive connection.
const peerIds = new WeakMap<TLSSocket, { readonly id: string; readonly trustDomain: string } | null>();

/**
 * The caller's SPIFFE ID, or null. Only a peer certificate that the TLS stack
 * verified against our CA bundle (`socket.authorized`) counts, and only when
 * its ID is in `trustDomain`: plaintext or unverified callers have no identity.
 * Takes any socket (`req.socket`); a plain TCP socket gives null.
 */
export function peerSpiffeId(socket: Socket, trustDomain: string): string | null {
  if (!(socket instanceof TLSSocket) || socket.authorized !== true) return null;
  let peer = peerIds.get(socket);
  if (peer === undefined) {
    // getPeerCertificate() copies the certificate; Node 24's getPeerX509Certificate() keeps the chain for good.
    const der = (socket.getPeerCertificate() as Partial<PeerCertificate>).raw;
    const id = der === undefined ? null : spiffeIdOfCertificate(der);
    peer = id === null ? null : { id, trustDomain: parseSpiffeId(id)!.trustDomain };
    peerIds.set(socket, peer);
  }
  return peer !== null && peer.trustDomain === trustDomain ? peer.id : null;
}
