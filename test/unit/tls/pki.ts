// Test PKI: a mesh CA with leaves written in the csi-driver-spiffe layout, plus
// the hostile certificates the tests throw at the TLS code.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  createDevCa,
  type DevCa,
  type IssuedCertificate,
  issueLeaf,
  type LeafOptions,
  writeTlsDir,
} from '../../../src/tls/dev-ca.ts';
import { TlsMaterial } from '../../../src/tls/material.ts';

export const TD = 'cluster.local';
export const id = (sa: string, ns = 'default'): string => `spiffe://${TD}/ns/${ns}/sa/${sa}`;
export const silentLog = pino({ level: 'silent' });

export interface Pki {
  readonly root: string;
  readonly ca: DevCa;
  /** A second, unrelated CA: its leaves must never authenticate. */
  readonly otherCa: DevCa;
  leaf(options: LeafOptions, issuer?: DevCa): Promise<IssuedCertificate>;
  /** Issues a leaf and writes it as `<root>/<name>/{tls.crt,tls.key,ca.crt}`; ca.crt is always the mesh CA. */
  dir(name: string, options: LeafOptions, issuer?: DevCa): Promise<string>;
  material(dir: string): Promise<TlsMaterial>;
  cleanup(): Promise<void>;
}

export async function createPki(): Promise<Pki> {
  const root = await mkdtemp(join(tmpdir(), 'meshlet-tls-'));
  const ca = await createDevCa({ trustDomain: TD });
  const otherCa = await createDevCa({ trustDomain: TD, commonName: 'attacker CA' });
  const materials: TlsMaterial[] = [];
  const pki: Pki = {
    root,
    ca,
    otherCa,
    leaf: (options, issuer = ca) => issueLeaf(issuer, options),
    async dir(name, options, issuer = ca) {
      const dir = join(root, name);
      await writeTlsDir(dir, await issueLeaf(issuer, options), ca.certPem);
      return dir;
    },
    async material(dir) {
      const material = new TlsMaterial(dir, { log: silentLog, pollIntervalMs: 50 });
      materials.push(material);
      await material.start();
      return material;
    },
    async cleanup() {
      for (const material of materials) material.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return pki;
}

export const HOUR = 60 * 60 * 1000;
/** Validity window that ended an hour ago. */
export const expired = (): LeafOptions => ({
  notBefore: new Date(Date.now() - 48 * HOUR),
  notAfter: new Date(Date.now() - HOUR),
});
