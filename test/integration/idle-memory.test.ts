// A sidecar gives its heap back once a burst of traffic is over
// (src/runtime/idle-gc.ts): the collection is logged at debug level and RSS
// falls below what the burst left. Once idle, it also unmaps the node
// binary's pages it no longer runs (src/runtime/file-pages.ts), and keeps
// serving.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { type RunningSidecar, serviceYaml, startServer, startSidecar } from '../helpers/mesh.ts';

const MiB = 1024 * 1024;

/** A field of /proc/PID/status, in bytes (VmRSS, RssFile, ...). */
function statusBytes(pid: number, field: string): number {
  const line = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1]) * 1024;
}
const rssOf = (pid: number) => statusBytes(pid, 'VmRSS');
const rssFileOf = (pid: number) => statusBytes(pid, 'RssFile');

/** The sidecar's debug log lines with this message, parsed. */
function logged<T>(sidecar: RunningSidecar, msg: string): T[] {
  return sidecar
    .output()
    .split('\n')
    .filter((l) => l.includes(msg))
    .map((l) => JSON.parse(l) as T);
}
const releases = (sidecar: RunningSidecar) =>
  logged<{ fileBytesBefore: number; releasedBytes: number }>(sidecar, 'idle: released file pages');
const collections = (sidecar: RunningSidecar) =>
  logged<{ heapBeforeBytes: number; heapAfterBytes: number }>(sidecar, 'idle: collected the heap');

describe('idle memory', () => {
  let app: Awaited<ReturnType<typeof startServer>>;
  let sidecar: RunningSidecar;
  const body = 'x'.repeat(16 * 1024);

  before(async () => {
    app = await startServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(body));
    });
    sidecar = await startSidecar({
      configText: serviceYaml('bulk', { v1: app.port }, '      - split: { v1: 100 }'),
      env: { MESHLET_LOG_LEVEL: 'debug' },
    });
  });
  after(async () => {
    await sidecar?.stop();
    await app?.close();
  });

  it('collects after a burst once the loop is idle, and RSS falls', async () => {
    // The first idle seconds after start-up collect the start-up garbage.
    for (let i = 0; i < 50 && collections(sidecar).length === 0; i++) await sleep(100);
    const atStart = collections(sidecar).length;
    const agent = new Agent({ connections: 16 });
    let left = 6000;
    const worker = async () => {
      while (left-- > 0) {
        const r = await request(`http://127.0.0.1:${sidecar.outbound}/`, {
          headers: { host: 'bulk' },
          dispatcher: agent,
        });
        await r.body.text();
        assert.equal(r.statusCode, 200);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await agent.close();
    const busyRss = rssOf(sidecar.proc.pid!);
    for (let i = 0; i < 80 && collections(sidecar).length === atStart; i++) await sleep(100);
    const seen = collections(sidecar);
    assert.ok(seen.length > atStart, `no collection after the burst:\n${sidecar.output().slice(-2000)}`);
    const last = seen.at(-1)!;
    assert.ok(last.heapAfterBytes < last.heapBeforeBytes, JSON.stringify(last));
    const idleRss = rssOf(sidecar.proc.pid!);
    assert.ok(idleRss < busyRss - 2 * MiB, `RSS ${busyRss / MiB} -> ${idleRss / MiB} MiB`);
  });

  it("unmaps the binary's pages it no longer runs once idle, and keeps serving", async (t) => {
    for (let i = 0; i < 50 && releases(sidecar).length === 0; i++) await sleep(100);
    const seen = releases(sidecar);
    if (seen.length === 0) {
      // Without the addon (no compiler at install) nothing is released: say so rather than pass.
      const { processFilePages } = await import('../../src/runtime/file-pages.ts');
      if (processFilePages() === null)
        return t.skip('native/linux addon not built: file pages are not released');
    }
    assert.ok(seen.length > 0, `no release once idle:\n${sidecar.output().slice(-2000)}`);
    const first = seen[0]!;
    const fileNow = rssFileOf(sidecar.proc.pid!);
    process.stdout.write(
      `# released ${(first.releasedBytes / MiB).toFixed(1)} MiB of ${(first.fileBytesBefore / MiB).toFixed(1)} MiB resident file pages; ${(fileNow / MiB).toFixed(1)} MiB mapped again since\n`,
    );
    assert.ok(first.releasedBytes > 20 * MiB, JSON.stringify(first));
    assert.ok(
      fileNow < first.fileBytesBefore - 10 * MiB,
      `RssFile ${first.fileBytesBefore / MiB} -> ${fileNow / MiB} MiB`,
    );
    for (let i = 0; i < 20; i++) {
      const r = await request(`http://127.0.0.1:${sidecar.outbound}/`, { headers: { host: 'bulk' } });
      assert.equal(r.statusCode, 200);
      assert.equal(await r.body.text(), body);
    }
    assert.equal((await request(`http://127.0.0.1:${sidecar.admin}/metrics`)).statusCode, 200);
  });
});
