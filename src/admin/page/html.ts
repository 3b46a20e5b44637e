// The live page's HTML and style (served at / and /page.css by assets.ts).
// Static: every value is filled in by page/script.ts with textContent, never
// as markup, because config values are user text.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>meshlet</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/page.css">
<script src="/page.js" defer></script>
</head>
<body>
<header>
  <h1>meshlet <span id="self"></span></h1>
  <p id="status" class="status">loading…</p>
  <p id="running" class="muted"></p>
</header>
<main>
  <section id="rejected-section" hidden>
    <h2>Last rejected edit</h2>
    <p class="muted">The previous config keeps serving.</p>
    <p id="rejected-at"></p>
    <ul id="rejected"></ul>
  </section>
  <section>
    <h2>Routes and splits</h2>
    <p class="muted" id="config-line"></p>
    <div id="routes"></div>
  </section>
  <section>
    <h2>Traffic <span class="muted" id="window"></span></h2>
    <table id="traffic">
      <thead><tr><th>direction</th><th>service</th><th>version</th><th>req/s</th><th>share</th><th>success</th><th>p99</th><th>total</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="muted" id="traffic-empty">No requests yet.</p>
  </section>
  <section id="guards-section" hidden>
    <h2>Canary guards</h2>
    <div id="guards"></div>
  </section>
  <section id="endpoints-section" hidden>
    <h2>Endpoints</h2>
    <div id="endpoints"></div>
  </section>
</main>
<footer class="muted">Updates every 1.5 s while this tab is visible, from this sidecar's own counters
(<a href="/stats.json">/stats.json</a>, <a href="/config">/config</a>, <a href="/metrics">/metrics</a>).</footer>
</body>
</html>
`;

export const PAGE_CSS = `:root { color-scheme: light dark; --ok: #2a7d3f; --bad: #b3261e; --bar: #3b6fd4; --line: #8884; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; }
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 0.4rem; }
h3 { font-size: 1rem; margin: 0.8rem 0 0.2rem; }
.muted { color: #777; }
.status.ok { color: var(--ok); }
.status.error { color: var(--bad); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.25rem 0.6rem 0.25rem 0; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.split { display: flex; height: 1.4rem; border-radius: 3px; overflow: hidden; min-width: 16rem; }
.split span { color: #fff; padding: 0 0.4rem; white-space: nowrap; overflow: hidden; font-size: 12px; line-height: 1.4rem; }
.split span:nth-child(2n) { background: #d4833b; }
.split span:nth-child(2n+1) { background: var(--bar); }
.bad { color: var(--bad); font-weight: 600; }
code { font-size: 12px; }
#rejected-section { border-left: 4px solid var(--bad); padding-left: 0.8rem; }
`;
