// node:http's values, loaded with require rather than an ESM import: Node
// builds a builtin's ESM namespace by reading every export, and node:http's
// WebSocket, CloseEvent and MessageEvent getters then load Node's bundled
// undici (fetch, WebSocket, web streams), 1.5-2.3 MiB of idle RSS a sidecar
// never uses (BENCHMARKS.md, "Footprint"). One static ESM import of a value
// from 'node:http' anywhere in the sidecar undoes this: take values from here
// (types may still come from 'node:http').
import { createRequire } from 'node:module';

const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export default http;
export const { createServer, STATUS_CODES } = http;
