// The live page on the admin port (docs/observability.md, "The live page"):
// three static documents held in memory, served with a policy that lets the
// page load nothing but its own script and style and talk to nothing but this
// port. Serving them costs nothing when nobody looks.
import type { ServerResponse } from 'node:http';
import { PAGE_CSS, PAGE_HTML } from './html.ts';
import { PAGE_SCRIPT } from './script.ts';

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

export const PAGE_ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['/', { type: 'text/html; charset=utf-8', body: Buffer.from(PAGE_HTML) }],
  ['/page.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(PAGE_SCRIPT) }],
  ['/page.css', { type: 'text/css; charset=utf-8', body: Buffer.from(PAGE_CSS) }],
]);

const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function servePageAsset(res: ServerResponse, path: string): void {
  const asset = PAGE_ASSETS.get(path)!;
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': asset.body.length,
    'cache-control': 'no-cache',
    'content-security-policy': POLICY,
    'x-content-type-options': 'nosniff',
  });
  res.end(asset.body);
}
