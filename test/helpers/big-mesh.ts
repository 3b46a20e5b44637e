/**
 * A large mesh.yaml: `n` services, each with two versions on `port`, three routes
 * (header match, regex path, weighted default) and an allow rule, as a big
 * production registry looks.
 */
export function bigMesh(n = 2000, port = 9080): string {
  const lines = ['mtls: disable', 'services:'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  svc-${i}:`,
      '    port: 9080',
      '    versions:',
      `      v1: { host: 127.0.0.1, port: ${port} }`,
      `      v2: { host: 127.0.0.1, port: ${port} }`,
      '    timeout: 5s',
      '    retries: { attempts: 2, on: [gateway-error] }',
      '    routes:',
      `      - match: { headers: { x-user: { exact: "user-${i}" } } }`,
      '        split: { v2: 1 }',
      `      - match: { path: { regex: "/items/[0-9]+/svc-${i}" } }`,
      '        split: { v1: 90, v2: 10 }',
      '      - split: { v1: 50, v2: 50 }',
      '    allow:',
      `      - from: [svc-${(i + 1) % n}]`,
      '        methods: [GET, POST]',
    );
  }
  return `${lines.join('\n')}\n`;
}
