// The live page on the admin port, in a real headless browser (Debian's
// chromium driven by puppeteer-core): it renders the routes and splits of the
// live config and the per-version traffic from the sidecar's own counters,
// follows an edit (90/10 -> 50/50) within a few seconds, shows a rejected
// edit, and logs no console error. Screenshots go to a temp dir, or to
// docs/images/ with UPDATE_SCREENSHOTS=1 (docs/observability.md shows them).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'puppeteer-core';
import { Agent, request } from 'undici';
import { ROOT, type RunningSidecar, startSidecar, startVersions, tempDir } from '../helpers/mesh.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install chromium)`;
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'images') : tempDir('meshlet-shots-');

describe('the live page on the admin port', { skip }, () => {
  let versions: Awaited<ReturnType<typeof startVersions>>;
  let sidecar: RunningSidecar;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const agent = new Agent({ connections: 4 });
  let stopTraffic = false;
  let traffic: Promise<void> = Promise.resolve();

  const mesh = (v1: number, v2: number) => `mtls: disable
services:
  reviews:
    port: 9080
    versions:
      v1: { host: 127.0.0.1, port: ${versions.ports.v1} }
      v2: { host: 127.0.0.1, port: ${versions.ports.v2} }
    routes:
      - name: testers
        match: { headers: { x-user: { exact: "<b>jason</b>" } } }
        split: { v2: 100 }
      - name: canary
        split: { v1: ${v1}, v2: ${v2} }
        guard: { baseline: v1, maxErrorRate: 0.5 }
  ratings:
    port: 9080
    versions: { v1: { host: 127.0.0.1, port: ${versions.ports.v1} } }
    routes: [{ split: { v1: 100 } }]
`;

  /** A steady, bounded trickle of calls (about 60/s at most), so rates and p99s have something to show. */
  const trickle = async (): Promise<void> => {
    for (let i = 0; !stopTraffic && i < 5000; i++) {
      const host = i % 4 === 3 ? 'ratings' : 'reviews';
      const path = i % 25 === 0 ? '/missing' : '/';
      try {
        const res = await request(`http://127.0.0.1:${sidecar.outbound}${path}`, {
          dispatcher: agent,
          headers: { host },
        });
        await res.body.dump();
      } catch {
        // the trickle only feeds the counters
      }
      await sleep(15);
    }
  };

  const splitOf = (p: Page, route: string) =>
    p.$$eval(`.split[data-service="reviews"][data-route="${route}"] span`, (spans) =>
      spans.map((s) => s.textContent),
    );

  before(async () => {
    versions = await startVersions(['v1', 'v2']);
    sidecar = await startSidecar({ configText: mesh(90, 10), env: { MESHLET_SERVICE: 'productpage' } });
    traffic = trickle();
    const { launch } = await import('puppeteer-core');
    browser = await launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container: no user namespaces for chromium's sandbox.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()} ${msg.location().url ?? ''}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${(err as Error).message}`));
  });
  after(async () => {
    stopTraffic = true;
    await traffic;
    await browser?.close();
    await sidecar?.stop();
    await versions?.close();
    await agent.close();
  });

  it('renders the live routes and splits, with config values as text', async () => {
    await page.goto(`http://127.0.0.1:${sidecar.admin}/`, { waitUntil: 'load' });
    await page.waitForSelector('.split[data-route="canary"] span', { timeout: 10_000 });
    assert.deepEqual(await splitOf(page, 'canary'), ['v1 90%', 'v2 10%']);
    assert.deepEqual(await splitOf(page, 'testers'), ['v2 100%']);
    // A header value from the config is shown as typed, never parsed as markup.
    const match = await page.$eval('table[data-service="reviews"] tbody tr td:nth-child(2)', (td) => ({
      text: td.textContent,
      bold: td.querySelector('b') !== null,
    }));
    assert.match(match.text ?? '', /<b>jason<\/b>/);
    assert.equal(match.bold, false);
    assert.match(await page.$eval('#self', (e) => e.textContent ?? ''), /productpage/);
    assert.match(await page.$eval('#running', (e) => e.textContent ?? ''), /^meshlet \d+\.\d+\.\d+/);
  });

  it('shows per-version request rate, success rate and p99 from the counters, updating live', async () => {
    const row = (version: string) =>
      page.$$eval(`tr[data-version-row="outbound reviews ${version}"] td`, (tds) =>
        tds.map((td) => td.textContent),
      );
    // Evaluated in the page: the v1 row has a rate above 0 and a p99.
    await page.waitForFunction(
      `(() => {
        const tds = document.querySelectorAll('tr[data-version-row="outbound reviews v1"] td');
        return tds.length === 8 && Number(tds[3].textContent) > 0 && tds[6].textContent !== '-';
      })()`,
      { timeout: 15_000, polling: 200 },
    );
    const v1 = await row('v1');
    assert.ok(Number(v1[3]) > 0, `req/s ${v1[3]}`);
    assert.match(String(v1[5]), /^\d+(\.\d)?%$/, `success ${v1[5]}`);
    assert.match(String(v1[6]), /ms$/, `p99 ${v1[6]}`);
    const total = Number(v1[7]);
    await sleep(2000);
    assert.ok(Number((await row('v1'))[7]) > total, 'the totals move without a reload of the page');
    await page.screenshot({ path: join(SHOTS, 'admin-page.png'), fullPage: true });
  });

  it('shows the new split within a few seconds of a config edit (90/10 -> 50/50)', async () => {
    const edited = Date.now();
    writeFileSync(sidecar.configFile, mesh(50, 50));
    await page.waitForFunction(
      `[...document.querySelectorAll('.split[data-route="canary"] span')]
        .map((s) => s.textContent).join(',') === 'v1 50%,v2 50%'`,
      { timeout: 8000, polling: 100 },
    );
    const seconds = (Date.now() - edited) / 1000;
    assert.ok(seconds < 6, `took ${seconds} s`);
    // Let the traffic shares follow the new split before the picture.
    await sleep(3500);
    await page.screenshot({ path: join(SHOTS, 'admin-page-after-edit.png'), fullPage: true });
  });

  it('shows a rejected edit, with its position, while the last good split keeps serving', async () => {
    writeFileSync(sidecar.configFile, mesh(50, 50).replace('split: { v1: 50', 'spilt: { v1: 50'));
    await page.waitForSelector('#rejected-section:not([hidden])', { timeout: 8000 });
    const errors = await page.$$eval('#rejected li', (lis) => lis.map((li) => li.textContent ?? ''));
    assert.ok(
      errors.some((e) => /mesh\.yaml:\d+:\d+/.test(e) && /split/.test(e)),
      errors.join('\n'),
    );
    assert.deepEqual(await splitOf(page, 'canary'), ['v1 50%', 'v2 50%']);
  });

  it('shows endpoint health when the sidecar serves /endpoints, and hides the section otherwise', async () => {
    const endpoints = await fetch(`http://127.0.0.1:${sidecar.admin}/endpoints`);
    await endpoints.body?.cancel();
    const shown = await page.$eval('#endpoints-section', (e) => !e.hidden);
    assert.equal(shown, endpoints.status === 200);
    if (shown) assert.match(await page.$eval('#endpoints', (e) => e.textContent ?? ''), /reviews/);
  });

  it('shows the canary guards /config reports, and hides the section when there are none', async () => {
    const config = JSON.parse((await sidecar.admin_('/config')).body) as { canaryGuards?: unknown[] };
    const guards = config.canaryGuards ?? [];
    assert.equal(await page.$eval('#guards-section', (e) => !e.hidden), guards.length > 0);
    if (guards.length > 0)
      assert.match(await page.$eval('#guards', (e) => e.textContent ?? ''), /canary.*v1.*watching/);
  });

  it('stops asking while its tab is hidden, and starts again when it is shown', async () => {
    const asked: number[] = [];
    const count = (r: { url(): string }) => {
      if (r.url().endsWith('/stats.json')) asked.push(Date.now());
    };
    page.on('request', count);
    // What the browser does when the tab goes to the background.
    const setVisibility = (state: string) =>
      page.evaluate(`Object.defineProperty(document, 'visibilityState', { value: '${state}', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));`);
    await setVisibility('hidden');
    await sleep(300);
    const hiddenAt = Date.now();
    await sleep(3000); // two polling periods
    assert.deepEqual(
      asked.filter((t) => t > hiddenAt),
      [],
      'no /stats.json while hidden',
    );
    await setVisibility('visible');
    await sleep(2000);
    page.off('request', count);
    assert.ok(asked.filter((t) => t > hiddenAt).length >= 1, 'asks again once visible');
  });

  it('logs no console error and no page error', () => {
    // Before /endpoints exists, the page's one probe of it is a 404 the browser reports.
    const expected = (p: string) => /\/endpoints\b/.test(p) && /404/.test(p);
    assert.deepEqual(
      problems.filter((p) => !expected(p)),
      [],
    );
  });

  it('serves the page under a strict content security policy, and /stats.json counts every version', async () => {
    const html = await fetch(`http://127.0.0.1:${sidecar.admin}/`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    await html.body?.cancel();
    const stats = (await (await fetch(`http://127.0.0.1:${sidecar.admin}/stats.json`)).json()) as {
      versions: Array<{ direction: string; service: string; version: string; requests: number }>;
    };
    assert.ok(stats.versions.some((v) => v.service === 'reviews' && v.version === 'v2' && v.requests > 0));
  });
});
