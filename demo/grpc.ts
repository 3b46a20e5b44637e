// The demo's gRPC part: a grpc-js client in `frontend` calls the `echo`
// service (protocol: grpc, versions v1 and v2) through two sidecars with
// mTLS: a v1/v2 split of unary calls, a server stream, a method the allow
// rules do not list, and the grpc_response_status series.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EchoServer, echoClient, grpc, startEchoServer } from '../test/helpers/grpc.ts';

const ECHO = '/meshlet.test.v1.Echo';

export interface DemoSidecar {
  outbound: number;
  inbound: number;
  admin: number;
}

export interface GrpcDemoContext {
  readonly work: string;
  readonly freePort: () => Promise<number>;
  readonly sidecar: (
    service: string,
    version: string,
    appPort: number,
    configFile: string,
    inbound?: number,
  ) => Promise<DemoSidecar>;
  readonly say: (s?: string) => void;
}

function meshYaml(v1: number, v2: number): string {
  return `trustDomain: cluster.local
mtls: strict
services:
  frontend: {}
  echo:
    port: 50051
    protocol: grpc
    versions:
      v1: { host: 127.0.0.1, port: ${v1} }
      v2: { host: 127.0.0.1, port: ${v2} }
    routes:
      - split: { v1: 80, v2: 20 }
    allow:
      - from: [frontend]
        paths: [${ECHO}/Unary, ${ECHO}/ServerStream]
`;
}

/** Runs the gRPC part; the caller stops the sidecars it started. Returns the echo servers to close. */
export async function grpcDemo(ctx: GrpcDemoContext): Promise<EchoServer[]> {
  const { say } = ctx;
  const apps = [await startEchoServer(), await startEchoServer()];
  const inbound = { v1: await ctx.freePort(), v2: await ctx.freePort() };
  const file = join(ctx.work, 'grpc-mesh.yaml');
  writeFileSync(file, meshYaml(inbound.v1, inbound.v2));
  await ctx.sidecar('echo', 'v1', apps[0]!.port, file, inbound.v1);
  await ctx.sidecar('echo', 'v2', apps[1]!.port, file, inbound.v2);
  const frontend = await ctx.sidecar('frontend', 'v1', await ctx.freePort(), file);
  say('   echo: protocol: grpc, split v1 80 / v2 20, allow frontend → Unary, ServerStream');

  const client = echoClient(`127.0.0.1:${frontend.outbound}`, 'echo');
  try {
    const counts: Record<string, number> = {};
    await Promise.all(
      Array.from(
        { length: 200 },
        (_, seq) =>
          new Promise<void>((resolve, reject) => {
            let version = '?';
            const call = client.raw.Unary({ text: 'hi', seq }, new grpc.Metadata(), {}, (err) => {
              if (err) return reject(err);
              counts[version] = (counts[version] ?? 0) + 1;
              resolve();
            });
            call.on('metadata', (md: grpc.Metadata) => {
              version = String(md.get('x-meshlet-upstream-version')[0] ?? '?');
            });
          }),
      ),
    );
    say(`   200 unary calls → v1 ${counts.v1 ?? 0}, v2 ${counts.v2 ?? 0}`);
    const stream = await client.serverStream(1000, 64);
    const inOrder = stream.every((m, i) => m.seq === i);
    say(`   server stream: ${stream.length} messages, ${inOrder ? 'in order' : 'OUT OF ORDER'}`);
    const denied = await client.fail(0, 'not allowed');
    say(
      `   Fail (not in the allow rules): ${grpc.status[denied.code]} "${denied.details}", x-meshlet-error: ${String(denied.metadata.get('x-meshlet-error')[0])}`,
    );
  } finally {
    client.close();
  }

  const text = await (await fetch(`http://127.0.0.1:${frontend.admin}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith('meshlet_requests_total{') || !line.includes('request_protocol="grpc"')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    say(
      `   frontend: → echo ${labels.destination_version}  grpc_response_status=${labels.grpc_response_status} code=${labels.response_code} flags=${labels.response_flags}  ${line.split(' ').at(-1)}`,
    );
  }
  return apps;
}
