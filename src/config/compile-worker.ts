// Parses and checks a mesh.yaml text on a worker thread, so a large config
// (2,000 services: about 1 s of YAML parsing and schema validation) never
// blocks requests. Only plain data comes back: the checked config as JSON
// (cheaper to parse on the main thread than a structured clone of the same
// tree) or the list of issues; the main thread compiles it in slices
// (compileMeshSteps). See docs/configuration.md, "Hot reload".
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type CheckResult, checkMeshText } from './load.ts';
import type { ConfigIssue, RawMesh, SidecarIdentity } from './types.ts';

interface Job {
  text: string;
  file: string;
  self: SidecarIdentity;
}
type Reply = { ok: true; json: string; hash: string } | { ok: false; issues: ConfigIssue[] };

// A config that needs more heap than this to parse is refused rather than taking the pod down.
const WORKER_HEAP_MB = 256;
const WORKER_URL = new URL(
  `./compile-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

/** Runs checkMeshText on a fresh worker thread (ended afterwards, so its heap is returned). */
export function checkOffThread(text: string, file: string, self: SidecarIdentity): Promise<CheckResult> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_URL, {
      workerData: { text, file, self } satisfies Job,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      resolve({
        ok: false,
        issues: [{ file, line: 1, col: 1, message: `the config could not be checked: ${why}` }],
      });
    };
    worker.once('message', (reply: Reply) => {
      settled = true;
      resolve(reply.ok ? { ok: true, raw: JSON.parse(reply.json) as RawMesh, hash: reply.hash } : reply);
      void worker.terminate();
    });
    worker.once('error', (err: Error & { code?: string }) =>
      fail(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `it needs more than ${WORKER_HEAP_MB} MiB to parse`
          : err.message,
      ),
    );
    worker.once('exit', (code) => fail(`the checking thread exited with ${code}`));
  });
}

if (!isMainThread && parentPort !== null) {
  const job = workerData as Job;
  const result = checkMeshText(job.text, job.file, job.self);
  const reply: Reply = result.ok
    ? { ok: true, json: JSON.stringify(result.raw), hash: result.hash }
    : { ok: false, issues: result.issues };
  parentPort.postMessage(reply);
}
