// The Dockerfile without Docker: lint it (dockerfile-utils, the linter behind
// the VS Code Docker extension; hadolint is not installable here), then carry
// out its build, prod-deps and runtime stages on this machine exactly as
// written (COPY lines, RUN commands, ENV, USER, ENTRYPOINT/CMD, HEALTHCHECK)
// and check the resulting /app serves /ready as UID 1337 from read-only files.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { validate } from 'dockerfile-utils';
import { PROXY_COMMAND } from '../../src/inject/sidecar.ts';
import { freePort } from '../helpers/mesh.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOCKERFILE = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Instructions grouped by stage; continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: from![1]!, name: from![2] ?? String(stages.length), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return stages;
}

const stages = parseDockerfile(DOCKERFILE);
const stage = (name: string): Stage => {
  const s = stages.find((x) => x.name === name);
  assert.ok(s, `Dockerfile has no stage ${name}`);
  return s;
};
const all = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);
const one = (s: Stage, keyword: string) => {
  const found = all(s, keyword);
  assert.equal(found.length, 1, `stage ${s.name}: expected one ${keyword}`);
  return found[0]!.args;
};

describe('Dockerfile', () => {
  it('passes dockerfile-utils validation with no diagnostics', () => {
    const diagnostics = validate(DOCKERFILE);
    assert.deepEqual(
      diagnostics.map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
      [],
    );
  });

  it('has build, prod-deps, init and runtime stages, runtime last (the default target)', () => {
    assert.deepEqual(
      stages.map((s) => s.name),
      ['build', 'prod-deps', 'init', 'runtime'],
    );
    assert.match(stage('build').from, /^node:\$\{NODE_VERSION\}-bookworm$/);
    for (const name of ['prod-deps', 'init', 'runtime']) assert.match(stage(name).from, /-slim$/);
    const pinned = /ARG NODE_VERSION=(\S+)/.exec(DOCKERFILE)?.[1];
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pinned, pkg.dependencies.node, 'image Node matches the pinned node dependency');
  });

  it('runs the runtime as 1337 with exec-form ENTRYPOINT and a node HEALTHCHECK', () => {
    const runtime = stage('runtime');
    assert.equal(one(runtime, 'USER'), '1337:1337');
    // The injected proxy container spells out the same command (its flag must not depend on the image).
    assert.deepEqual(JSON.parse(one(runtime, 'ENTRYPOINT')), [...PROXY_COMMAND]);
    assert.ok(PROXY_COMMAND.includes('--max-semi-space-size=4'));
    assert.deepEqual(JSON.parse(one(runtime, 'CMD')), ['run']);
    const health = one(runtime, 'HEALTHCHECK');
    assert.match(health, /CMD \["node", "-e"/);
    assert.doesNotMatch(health, /curl|wget/);
    assert.match(one(stage('prod-deps'), 'RUN'), /npm ci --omit=dev --ignore-scripts/);
    assert.match(one(stage('init'), 'RUN'), /apt-get install -y --no-install-recommends iptables/);
    assert.deepEqual(JSON.parse(one(stage('init'), 'ENTRYPOINT')), [...PROXY_COMMAND]);
  });

  it('keeps in the build context everything the stages COPY', () => {
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    for (const s of stages) {
      for (const copy of all(s, 'COPY').filter((c) => !c.args.startsWith('--from'))) {
        const sources = copy.args.split(/\s+/).slice(0, -1);
        for (const source of sources)
          assert.ok(ignore.includes(source.replace(/\/$/, '')), `.dockerignore drops ${source}`);
      }
    }
  });
});

describe('Dockerfile stages carried out without Docker', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'meshlet-docker-'));
  chmodSync(tmp, 0o755);
  const stageDir = (name: string) => path.join(tmp, name);
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  let sidecar: ChildProcess | undefined;

  after(async () => {
    if (sidecar !== undefined && sidecar.exitCode === null) {
      const exited = new Promise((r) => sidecar!.once('exit', r));
      sidecar.kill('SIGKILL');
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  /** COPY [--from=stage] src... dest, with WORKDIR /app mapped to the stage directory. */
  function copy(target: string, args: string): void {
    const from = /^--from=(\S+)\s+/.exec(args);
    const parts = (from ? args.slice(from[0].length) : args).split(/\s+/);
    const dest = parts.pop()!;
    const destPath = path.join(target, dest.startsWith('/app') ? dest.slice('/app'.length) : dest);
    for (const source of parts) {
      if (from) {
        const src = path.join(stageDir(from[1]!), source.replace(/^\/app\/?/, ''));
        const into = dest.endsWith('/') ? path.join(destPath, path.basename(src)) : destPath;
        mkdirSync(path.dirname(into), { recursive: true });
        cpSync(src, into, { recursive: true });
        continue;
      }
      const prefix = source.replace(/\/$/, '');
      const files = tracked.filter((f) => f === prefix || f.startsWith(`${prefix}/`));
      assert.ok(files.length > 0, `COPY ${source}: nothing tracked there`);
      for (const file of files) {
        const into = source.endsWith('/')
          ? path.join(destPath, path.relative(prefix, file))
          : path.join(destPath, path.basename(file));
        mkdirSync(path.dirname(into), { recursive: true });
        cpSync(path.join(ROOT, file), into);
      }
    }
  }

  /** RUN without BuildKit's --mount flags, under Node 24 (as in the node:24 images). */
  function run(target: string, args: string): void {
    const command = args.replace(/--mount=\S+\s+/g, '');
    execFileSync('sh', ['-c', command], {
      cwd: target,
      stdio: 'pipe',
      env: {
        ...process.env,
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
        npm_config_prefer_offline: 'true',
        npm_config_update_notifier: 'false',
      },
      timeout: 600_000,
    });
  }

  function carryOut(name: string): void {
    const dir = stageDir(name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    for (const i of stage(name).instructions) {
      if (i.keyword === 'COPY') copy(dir, i.args);
      else if (i.keyword === 'RUN') run(dir, i.args);
    }
  }

  it('build and prod-deps stages produce dist/, the addon and production node_modules', () => {
    carryOut('build');
    assert.ok(existsSync(path.join(stageDir('build'), 'dist/main.js')));
    carryOut('prod-deps');
    const modules = path.join(stageDir('prod-deps'), 'node_modules');
    assert.ok(existsSync(path.join(modules, 'undici')), 'runtime dependency installed');
    assert.ok(!existsSync(path.join(modules, 'typescript')), 'no dev dependency');
    assert.ok(!existsSync(path.join(modules, 'node')), 'no second node binary');
  });

  it('runtime stage serves /ready as UID 1337 and passes its HEALTHCHECK', async (t) => {
    if (!existsSync(path.join(stageDir('prod-deps'), 'node_modules'))) return t.skip('earlier stages failed');
    carryOut('runtime');
    const app = stageDir('runtime');
    assert.ok(existsSync(path.join(app, 'native/linux/build/Release/original_dst.node')));
    assert.ok(existsSync(path.join(app, 'native/linux/build/Release/file_pages.node')));

    const runtime = stage('runtime');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const e of all(runtime, 'ENV')) for (const [, k, v] of e.args.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
    assert.equal(env.MESHLET_CONFIG, '/etc/meshlet/mesh.yaml');

    const etc = path.join(tmp, 'etc-meshlet');
    mkdirSync(etc);
    writeFileSync(path.join(etc, 'mesh.yaml'), 'trustDomain: cluster.local\nmtls: disable\nservices: {}\n');
    chmodSync(etc, 0o755);
    const [outbound, inbound, admin, appPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    Object.assign(env, {
      MESHLET_CONFIG: path.join(etc, 'mesh.yaml'),
      MESHLET_SERVICE: 'web',
      MESHLET_NAMESPACE: 'default',
      MESHLET_VERSION: 'v1',
      MESHLET_SERVICE_ACCOUNT: 'web',
      MESHLET_APP_PORT: String(appPort),
      MESHLET_OUTBOUND_PORT: String(outbound),
      MESHLET_INBOUND_PORT: String(inbound),
      MESHLET_ADMIN_PORT: String(admin),
      MESHLET_BIND: '127.0.0.1',
      MESHLET_DRAIN_SECONDS: '1',
    });

    // The image's own node binary: a copy UID 1337 can run wherever the checkout lives.
    const imageNode = path.join(tmp, 'usr-local-bin-node');
    copyFileSync(process.execPath, imageNode);
    chmodSync(imageNode, 0o755);
    const toHost = (arg: string) => (arg === 'node' ? imageNode : arg.replace(/^\/app\//, `${app}/`));
    const command = [...JSON.parse(one(runtime, 'ENTRYPOINT')), ...JSON.parse(one(runtime, 'CMD'))].map(
      toHost,
    );
    const [uid, gid] = one(runtime, 'USER').split(':').map(Number);
    const asUser = process.getuid?.() === 0 ? { uid: uid!, gid: gid! } : {};
    let output = '';
    sidecar = spawn(command[0]!, command.slice(1), {
      cwd: '/',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asUser,
    });
    sidecar.stdout?.on('data', (d) => (output += d));
    sidecar.stderr?.on('data', (d) => (output += d));

    let status = 0;
    for (let i = 0; i < 150 && status !== 200 && sidecar.exitCode === null; i += 1) {
      status = await fetch(`http://127.0.0.1:${admin}/ready`).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, `/ready never answered 200; sidecar output:\n${output}`);

    const health = JSON.parse(one(runtime, 'HEALTHCHECK').replace(/^.*?CMD\s+/, '')) as string[];
    const code = await new Promise<number | null>((resolve) => {
      spawn(toHost(health[0]!), health.slice(1), { env, stdio: 'ignore', ...asUser }).on('exit', resolve);
    });
    assert.equal(code, 0, 'HEALTHCHECK failed');

    // The same image runs the injector: the compiled `meshlet inject` works from /app.
    const injected = execFileSync(imageNode, [path.join(app, 'bin/meshlet.js'), 'inject', '-f', '-'], {
      input: readFileSync(path.join(ROOT, 'test/fixtures/inject/cronjob.in.yaml')),
      env,
      cwd: '/',
      ...asUser,
    }).toString();
    assert.match(injected, /name: meshlet-proxy/);

    const exit = new Promise<number | null>((resolve) => sidecar!.once('exit', resolve));
    sidecar.kill('SIGTERM');
    assert.equal(await exit, 0, `sidecar did not exit cleanly on SIGTERM:\n${output}`);
  });
});
