import assert from 'node:assert/strict';
import fsPromises, { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileSource } from '../../../../src/config/sources/file.ts';
import { tempDir } from '../../../helpers/mesh.ts';

function collect(source: FileSource): string[] {
  const texts: string[] = [];
  source.start({ text: (t) => texts.push(t), warn: () => {} });
  return texts;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check() && performance.now() < deadline) await sleep(20);
}

/** What `cat > file` and `cp` do: truncate in place, then write, here slowly and in chunks. */
async function writeInPlace(file: string, text: string, pauseMs: number, chunk = 16): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await sleep(pauseMs);
    for (let i = 0; i < text.length; i += chunk) {
      await fh.write(text.slice(i, i + chunk));
      await sleep(10);
    }
  } finally {
    await fh.close();
  }
}

describe('file config source', () => {
  it('never hands on the truncated or half-written state of an in-place write', async () => {
    const dir = tempDir();
    const file = join(dir, 'mesh.yaml');
    const versions = [1, 2, 3].map((n) => `mtls: disable\nservices:\n  reviews:\n    port: ${9080 + n}\n`);
    await writeFile(file, versions[0]!);
    const source = new FileSource(file, versions[0]!, { pollMs: 200 });
    const texts = collect(source);
    try {
      for (const next of versions.slice(1)) {
        await writeInPlace(file, next, 250);
        await until(() => texts.at(-1) === next);
      }
      assert.deepEqual(texts, versions.slice(1), 'only complete texts, each once');
    } finally {
      source.stop();
    }
  });

  it('hands on a file that stays empty, once the grace period has passed', async () => {
    const file = join(tempDir(), 'mesh.yaml');
    await writeFile(file, 'services: {}\n');
    const source = new FileSource(file, 'services: {}\n', { pollMs: 100, emptyGraceMs: 400 });
    const texts = collect(source);
    try {
      const truncatedAt = performance.now();
      await writeFile(file, '');
      await until(() => texts.length > 0);
      assert.deepEqual(texts, ['']);
      assert.ok(performance.now() - truncatedAt >= 400, 'the empty file was waited out first');
    } finally {
      source.stop();
    }
  });

  it('picks up a rename over the file, and ignores a file that is briefly missing', async () => {
    const dir = tempDir();
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, 'mtls: strict\n');
    const source = new FileSource(file, 'mtls: strict\n', { pollMs: 100 });
    const texts = collect(source);
    try {
      await rename(file, join(dir, 'old.yaml'));
      await sleep(300);
      await writeFile(join(dir, '.new'), 'mtls: disable\n');
      await rename(join(dir, '.new'), file);
      await until(() => texts.length > 0);
      assert.deepEqual(texts, ['mtls: disable\n']);
    } finally {
      source.stop();
    }
  });

  it('reads an unchanged file once, not on every poll, and still sees a same-size edit', async () => {
    const dir = tempDir();
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, 'mtls: strict\n');
    let reads = 0;
    const real = fsPromises.readFile;
    const spy = mock.method(fsPromises, 'readFile', (...args: Parameters<typeof real>) => {
      if (args[0] === file) reads++;
      return real(...args);
    });
    syncBuiltinESMExports();
    const source = new FileSource(file, 'mtls: strict\n', { pollMs: 50 });
    const texts = collect(source);
    try {
      await sleep(1000);
      // About 20 polls: the first reads the file (there is no signature yet), the rest only stat it.
      assert.equal(reads, 1, `${reads} reads of an unchanged file`);
      await writeFile(file, 'mtls: permi\n');
      await until(() => texts.length > 0);
      assert.deepEqual(texts, ['mtls: permi\n']);
    } finally {
      source.stop();
      spy.mock.restore();
      syncBuiltinESMExports();
    }
  });
});

describe('file config source, unreadable file', () => {
  it('warns once, saying what failed, when the file cannot be read', async () => {
    const dir = tempDir();
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, 'mtls: strict\n');
    const source = new FileSource(file, 'mtls: strict\n', { pollMs: 50 });
    const warnings: string[] = [];
    source.start({ text: () => {}, warn: (m) => warnings.push(m) });
    try {
      await rm(file);
      await mkdir(file);
      await until(() => warnings.length > 0);
      await sleep(400);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0]!, /cannot read the config file \(EISDIR/);
    } finally {
      source.stop();
    }
  });
});
