// Parses and checks a large mesh.yaml text in a short-lived child process, so
// a big config (2,000 services: about 1 s of YAML parsing and schema
// validation, ~150 MiB of transient heap) neither blocks requests nor leaves
// its memory behind: a worker thread's heap pages stayed in the sidecar's RSS
// after the thread ended (+120 MiB), a process returns them all on exit. Only
// plain data comes back: the checked config as JSON or the list of issues; the
// sidecar compiles it in slices (compileMeshSteps). See docs/configuration.md,
// "Reloading".
import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type CheckResult, checkMeshText } from './load.ts';
import { slicePause } from './slices.ts';
import type { ConfigIssue, RawMesh, RawService, SidecarIdentity } from './types.ts';

interface Job {
  text: string;
  file: string;
  self: SidecarIdentity;
}
// The checked config comes back as JSON in pieces: the mesh without its services, then one
// piece per service, so the sidecar parses it a slice at a time (one JSON.parse of a
// 2,000-service tree held the event loop for ~10 ms, ~25 ms on a busy node).
type Reply =
  | { ok: true; mesh: string; services: string[]; hash: string }
  | { ok: false; issues: ConfigIssue[] };

// A config that needs more heap than this to parse is refused rather than taking the pod down.
const CHECKER_HEAP_MB = 512;
const CHECKER_TIMEOUT_MS = 60_000;
const CHECKER_NICE = 10;
const CHECKER = fileURLToPath(import.meta.url);
// Marks the child: a cluster worker also has an IPC channel.
const CHECKER_ENV = 'MESHLET_CONFIG_CHECKER';

/** Runs checkMeshText in a child process that exits afterwards. */
export function checkInChild(text: string, file: string, self: SidecarIdentity): Promise<CheckResult> {
  return new Promise((resolve) => {
    const child = fork(CHECKER, [], {
      // Not the sidecar's own flags: its tiny young generation (docs/performance.md) would
      // make parsing, which allocates heavily, spend most of its time in scavenges.
      execArgv: [`--max-old-space-size=${CHECKER_HEAP_MB}`],
      env: { ...process.env, [CHECKER_ENV]: '1' },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    // Background work: on a busy node, requests on the sidecar's main thread go first.
    try {
      if (child.pid !== undefined) setPriority(child.pid, CHECKER_NICE);
    } catch {
      // not permitted: it runs at the sidecar's own priority
    }
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString();
    });
    let settled = false;
    const timer = setTimeout(() => {
      fail(`checking took longer than ${CHECKER_TIMEOUT_MS / 1000} s`);
      child.kill('SIGKILL');
    }, CHECKER_TIMEOUT_MS);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        ok: false,
        issues: [{ file, line: 1, col: 1, message: `the config could not be checked: ${why}` }],
      });
    };
    child.once('message', (reply: Reply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!reply.ok) resolve(reply);
      else void parseInSlices(reply).then((raw) => resolve({ ok: true, raw, hash: reply.hash }));
    });
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) =>
      fail(
        /heap out of memory/.test(stderr)
          ? `it needs more than ${CHECKER_HEAP_MB} MiB to parse`
          : `the checking process exited with ${signal ?? code}`,
      ),
    );
    child.send({ text, file, self } satisfies Job);
  });
}

async function parseInSlices(reply: { mesh: string; services: string[] }): Promise<RawMesh> {
  const raw = JSON.parse(reply.mesh) as RawMesh;
  if (raw.services !== null) return raw;
  const services: [string, RawService][] = [];
  const pause = slicePause();
  for (const piece of reply.services) {
    services.push(JSON.parse(piece) as [string, RawService]);
    await pause();
  }
  // fromEntries defines each key as its own property, whatever the name (even __proto__).
  raw.services = Object.fromEntries(services);
  return raw;
}

/**
 * The reply for a checked config: the mesh with null in place of its services (so the keys
 * keep their order), then each service as a [name, service] piece.
 */
function piecesOf(raw: RawMesh): { mesh: string; services: string[] } {
  if (raw.services == null) return { mesh: JSON.stringify(raw), services: [] };
  return {
    mesh: JSON.stringify({ ...raw, services: null }),
    services: Object.entries(raw.services).map((entry) => JSON.stringify(entry)),
  };
}

if (import.meta.main && process.env[CHECKER_ENV] === '1' && process.send !== undefined) {
  process.once('message', (job: Job) => {
    const result = checkMeshText(job.text, job.file, job.self);
    const reply: Reply = result.ok
      ? { ok: true, ...piecesOf(result.raw), hash: result.hash }
      : { ok: false, issues: result.issues };
    process.send!(reply, () => process.disconnect());
  });
}
