// The live page's script (served at /page.js). Plain browser JavaScript, no
// build step: it polls /stats.json every 1.5 s while the tab is visible, turns
// two snapshots of the cumulative counters into rates, success rates and p99s,
// and re-reads /config only when its hash or last rejected edit changes.
// Every value goes into the page with textContent (config values are user text).
// Kept free of backquotes, dollar-brace and backslashes so it can live in this string.

export const PAGE_SCRIPT = `'use strict';
(function () {
  var POLL_MS = 1500;
  var previous = null;
  var configKey = null;
  var optional = { endpoints: true };
  var timer = null;
  var running = false;

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) for (var k in props) {
      if (k === 'text') node.textContent = String(props[k]);
      else if (k === 'className') node.className = props[k];
      else node.setAttribute(k, String(props[k]));
    }
    if (children) for (var i = 0; i < children.length; i++) if (children[i]) node.appendChild(children[i]);
    return node;
  }
  function byId(id) { return document.getElementById(id); }
  function fill(id, nodes) { byId(id).replaceChildren.apply(byId(id), nodes); }
  function show(id, on) { byId(id).hidden = !on; }

  function getJson(path) {
    return fetch(path, { cache: 'no-store' }).then(function (res) {
      if (!res.ok) { var err = new Error(path + ' answered ' + res.status); err.status = res.status; throw err; }
      return res.json();
    });
  }

  function percent(x) { return (Math.round(x * 1000) / 10) + '%'; }
  function ms(seconds) { return seconds < 0.001 ? '<1 ms' : (Math.round(seconds * 10000) / 10) + ' ms'; }

  function matchText(match) {
    if (!match || typeof match !== 'object') return 'any request';
    var parts = [];
    if (match.method) parts.push('method ' + [].concat(match.method).join('|'));
    if (match.path) for (var k in match.path) parts.push('path ' + k + ' ' + match.path[k]);
    if (match.headers) for (var h in match.headers) parts.push('header ' + h + ' ' + JSON.stringify(match.headers[h]));
    if (match.query) for (var q in match.query) parts.push('query ' + q + ' ' + JSON.stringify(match.query[q]));
    return parts.length === 0 ? 'any request' : parts.join(', ');
  }

  function splitBar(service, route, split) {
    var names = Object.keys(split || {});
    var total = 0;
    names.forEach(function (n) { total += Number(split[n]) || 0; });
    var bar = el('div', { className: 'split', 'data-service': service, 'data-route': route });
    names.forEach(function (n) {
      var share = total > 0 ? (Number(split[n]) || 0) / total : 0;
      var part = el('span', { text: n + ' ' + percent(share), 'data-split': n, title: n + ': weight ' + split[n] });
      part.style.flexGrow = String(Math.max(share, 0.0001));
      bar.appendChild(part);
    });
    return bar;
  }

  function renderConfig(cfg) {
    var self = cfg.self || {};
    byId('self').textContent = (self.service || '') + ' ' + (self.version || '');
    var m = cfg.meshlet;
    byId('running').textContent = m ? 'meshlet ' + m.version + ' (' + String(m.commit).slice(0, 12) + ', node ' + m.node + ')' : '';
    byId('config-line').textContent = 'config ' + String(cfg.hash).slice(0, 12) + ' from ' + cfg.source + ', loaded ' + cfg.loadedAt + ', mTLS ' + cfg.mtls;
    var blocks = [];
    (cfg.services || []).forEach(function (s) {
      var rows = (s.routes || []).map(function (r, i) {
        var name = r.name || 'route ' + (i + 1);
        var target = r.split ? splitBar(s.name, name, r.split) : el('span', { text: r.redirect ? 'redirect' : '-' });
        return el('tr', null, [el('td', { text: name }), el('td', { text: matchText(r.match) }), el('td', null, [target])]);
      });
      var versions = Object.keys(s.versions || {}).map(function (v) {
        var a = s.versions[v] || {};
        return v + ' ' + (a.host || '') + (a.port ? ':' + a.port : '');
      }).join(', ');
      blocks.push(el('h3', { text: s.name }));
      blocks.push(el('p', { className: 'muted', text: versions }));
      blocks.push(el('table', { 'data-service': s.name }, [
        el('thead', null, [el('tr', null, [el('th', { text: 'route' }), el('th', { text: 'match' }), el('th', { text: 'split' })])]),
        el('tbody', null, rows)
      ]));
    });
    if (blocks.length === 0) blocks.push(el('p', { className: 'muted', text: 'No services in the config.' }));
    fill('routes', blocks);
    // Canary guards (absent before balancing, or on a multi-worker primary): tripped versions get no new requests.
    var guards = Array.isArray(cfg.canaryGuards) ? cfg.canaryGuards : [];
    show('guards-section', guards.length > 0);
    fill('guards', [tableOf(guards.map(function (g) {
      var tripped = g.tripped || [];
      return {
        service: g.service, route: g.route, baseline: g.baseline,
        state: tripped.length === 0 ? 'watching' : 'tripped',
        tripped: tripped.length === 0 ? '-' : tripped
      };
    }))]);
    var rejected = cfg.lastReloadError;
    show('rejected-section', !!rejected);
    if (rejected) {
      byId('rejected-at').textContent = 'at ' + rejected.at;
      fill('rejected', (rejected.errors || []).map(function (e) { return el('li', null, [el('code', { text: e })]); }));
    }
  }

  // Any JSON as a table: arrays of objects become rows, objects become key/value pairs.
  function tableOf(value) {
    if (Array.isArray(value)) {
      var cols = [];
      value.forEach(function (row) {
        if (row && typeof row === 'object') for (var k in row) if (cols.indexOf(k) < 0) cols.push(k);
      });
      if (cols.length === 0) return el('span', { text: value.map(String).join(', ') });
      return el('table', null, [
        el('thead', null, [el('tr', null, cols.map(function (c) { return el('th', { text: c }); }))]),
        el('tbody', null, value.map(function (row) {
          return el('tr', null, cols.map(function (c) { return el('td', null, [cell(row ? row[c] : undefined)]); }));
        }))
      ]);
    }
    if (value && typeof value === 'object') {
      return el('table', null, [el('tbody', null, Object.keys(value).map(function (k) {
        return el('tr', null, [el('th', { text: k }), el('td', null, [cell(value[k])])]);
      }))]);
    }
    return el('span', { text: value === undefined || value === null ? '-' : String(value) });
  }
  function cell(v) {
    if (v !== null && typeof v === 'object') return tableOf(v);
    if (typeof v === 'number' && !Number.isInteger(v)) v = Math.round(v * 10) / 10;
    var span = el('span', { text: v === undefined || v === null ? '-' : String(v) });
    if (v === 'tripped' || v === 'ejected') span.className = 'bad';
    return span;
  }

  // histogram_quantile over the buckets' increase between two snapshots.
  function quantile(q, before, after) {
    var prior = {};
    (before || []).forEach(function (b) { prior[b[0]] = b[1]; });
    var counts = after.map(function (b) { return [b[0], b[1] - (prior[b[0]] || 0)]; });
    var total = counts.length ? counts[counts.length - 1][1] : 0;
    if (total <= 0) return null;
    var rank = q * total, lower = 0, below = 0;
    for (var i = 0; i < counts.length; i++) {
      var le = counts[i][0], n = counts[i][1];
      if (n >= rank) {
        if (le === '+Inf') return lower;
        return lower + (le - lower) * (n === below ? 1 : (rank - below) / (n - below));
      }
      if (le !== '+Inf') lower = le;
      below = n;
    }
    return lower;
  }

  function renderTraffic(before, now) {
    var prior = {};
    if (before) before.versions.forEach(function (v) { prior[v.direction + ' ' + v.service + ' ' + v.version] = v; });
    var seconds = before ? (now.at - before.at) / 1000 : 0;
    var perService = {};
    var deltas = now.versions.map(function (v) {
      var p = prior[v.direction + ' ' + v.service + ' ' + v.version];
      var d = p ? v.requests - p.requests : (before ? v.requests : 0);
      var key = v.direction + ' ' + v.service;
      perService[key] = (perService[key] || 0) + d;
      return { v: v, p: p, d: d, f: p ? v.failures - p.failures : (before ? v.failures : 0) };
    });
    byId('window').textContent = before ? '(last ' + seconds.toFixed(1) + ' s)' : '(waiting for a second sample)';
    var rows = deltas.map(function (x) {
      var v = x.v;
      var known = before !== null && seconds > 0;
      var share = perService[v.direction + ' ' + v.service];
      var success = x.d > 0 ? 1 - x.f / x.d : null;
      var p99 = known ? quantile(0.99, x.p ? x.p.buckets : null, v.buckets) : null;
      return el('tr', { 'data-version-row': v.direction + ' ' + v.service + ' ' + v.version }, [
        el('td', { text: v.direction }), el('td', { text: v.service }), el('td', { text: v.version }),
        el('td', { className: 'num', text: known ? (x.d / seconds).toFixed(1) : '-' }),
        el('td', { className: 'num', text: known && share > 0 ? percent(x.d / share) : '-' }),
        el('td', { className: 'num' + (success !== null && success < 0.99 ? ' bad' : ''), text: success === null ? '-' : percent(success) }),
        el('td', { className: 'num', text: p99 === null ? '-' : ms(p99) }),
        el('td', { className: 'num', text: String(v.requests) })
      ]);
    });
    fill('traffic', [byId('traffic').tHead, el('tbody', null, rows)]);
    show('traffic-empty', rows.length === 0);
  }

  function renderEndpoints(doc) {
    show('endpoints-section', true);
    fill('endpoints', [tableOf(doc)]);
  }

  function status(ok, message) {
    var s = byId('status');
    s.className = 'status ' + (ok ? 'ok' : 'error');
    s.textContent = message;
  }

  function tick() {
    timer = null;
    running = true;
    getJson('/stats.json').then(function (now) {
      var key = now.hash + ' ' + now.lastRejectedAt;
      var steps = [];
      if (key !== configKey) steps.push(getJson('/config').then(function (cfg) { renderConfig(cfg); configKey = key; }));
      if (optional.endpoints) steps.push(getJson('/endpoints').then(renderEndpoints, function (err) {
        if (err.status === 404) { optional.endpoints = false; show('endpoints-section', false); } else throw err;
      }));
      return Promise.all(steps).then(function () {
        renderTraffic(previous, now);
        previous = now;
        status(true, 'live, updated ' + new Date(now.at).toLocaleTimeString());
      });
    }).catch(function (err) {
      status(false, 'cannot reach the sidecar: ' + err.message);
    }).then(schedule);
  }

  // Polls only while someone looks: a hidden tab costs the sidecar nothing.
  function schedule() {
    running = false;
    if (timer === null && document.visibilityState !== 'hidden') timer = setTimeout(tick, POLL_MS);
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') { clearTimeout(timer); timer = null; previous = null; }
    else if (timer === null && !running) tick();
  });
  tick();
})();
`;
