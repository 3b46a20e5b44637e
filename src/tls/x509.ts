// @peculiar/x509 set up for Node: it resolves its dependencies through
// tsyringe, which needs a Reflect polyfill loaded first, and it signs with
// the WebCrypto provider we hand it. Import X.509 helpers from here only.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
