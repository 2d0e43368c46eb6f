// The status page: plain HTML and one small script (served from this origin, so the CSP needs no
// 'unsafe-inline'), drawing as SVG what /status.json reports every two seconds: the history since the
// collector started (kept server-side), so a page opened late still shows when events came. No CDN,
// no charting library (the collector README says why).

export const STATUS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Status · UID2 pixel collector</title>
<link rel="stylesheet" href="/status/style.css">
</head>
<body class="collector">
<header class="site"><h1><a href="/">UID2 pixel collector</a></h1><span class="origin">status</span></header>
<main>
  <p id="keys" class="muted" role="status">loading…</p>
  <section class="card">
    <h2>Events written by segment</h2>
    <p class="muted note" id="since">Since the collector started.</p>
    <div class="chart" id="events" data-testid="events-chart" role="img" aria-label="loading"></div>
    <ul id="legend" class="legend" data-testid="events-legend"></ul>
  </section>
  <section class="card">
    <h2>What became of each pixel</h2>
    <p class="muted note">Every pixel ends in one outcome: <b>written</b> into its segment, <b>held</b> until the operator can say whether the user opted out, <b>opted_out</b>, <b>not_authorised</b> (the sender may not write that segment, or did not share its key with us), <b>undeclared_segment</b>, <b>expired</b>, <b>invalid</b> (not a token we can open), <b>invalid_request</b>, or <b>not_ready</b> / <b>store_unavailable</b> (answered 503: the sender retries).</p>
    <div class="chart" id="outcomes" data-testid="outcomes-chart" role="img" aria-label="loading"></div>
    <ul id="outcome-legend" class="legend"></ul>
    <h3>By sender</h3>
    <p class="muted note">A token sealed with a key we no longer hold is still named: its key id is readable with our keys, and every token that key sealed while its sender shared with us said which site it was.</p>
    <ul id="senders" class="senders" data-testid="senders"></ul>
    <h3>Decryption results</h3>
    <ul id="decrypt" class="senders" data-testid="decrypt"></ul>
  </section>
  <section class="card">
    <h2>Segments</h2>
    <div class="scroll"><table data-testid="segments"><thead><tr><th>segment</th><th class="n">live members</th><th class="n">events since start</th></tr></thead><tbody id="segments"></tbody></table></div>
    <p class="muted note" id="members-note"></p>
  </section>
  <section class="card">
    <h2>Bulk routes</h2>
    <div class="scroll"><table><thead><tr><th>route</th><th class="n">written</th><th class="n">held</th><th class="n">rejected</th></tr></thead><tbody id="bulk"></tbody></table></div>
    <p class="muted note" id="drop-files"></p>
  </section>
</main>
<script src="/status/app.js"></script>
</body>
</html>
`;

/** The look of the demo sites (apps/demo/src/pages/common/style.css), for the landing and status pages. */
export const STATUS_CSS = `
:root { --accent: #2b4a6f; --ink: #1d1f24; --muted: #5b606b; --paper: #fbfbfd; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--paper); }
header.site { background: var(--accent); color: #fff; padding: 14px 20px; display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; }
header.site h1 { margin: 0; font-size: 22px; letter-spacing: .02em; }
header.site h1 a { color: inherit; text-decoration: none; }
header.site .origin { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; opacity: .85; }
main { max-width: 980px; margin: 0 auto; padding: 20px 16px 40px; }
.card { background: #fff; border: 1px solid #e3e5ea; border-radius: 10px; padding: 16px 18px; box-shadow: 0 1px 2px rgba(0,0,0,.04); margin-bottom: 18px; }
.card h2 { margin: 0 0 6px; font-size: 18px; } .card h3 { font-size: 15px; margin: 16px 0 6px; }
.muted { color: var(--muted); font-size: 14px; } .bad { color: #8a1c1c; } .note { font-size: 13px; margin: 0 0 10px; }
.chart { width: 100%; min-height: 200px; } .chart svg { display: block; }
.chart text { font: 12px system-ui, sans-serif; fill: #5b606b; }
.legend, .senders { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 6px 20px; font-size: 14px; font-variant-numeric: tabular-nums; }
.senders { display: block; } .senders li { margin: 4px 0; overflow-wrap: anywhere; }
.legend .sw { display: inline-block; width: 22px; height: 0; vertical-align: middle; margin-right: 6px; border-top: 3px solid; }
.legend .muted { margin-left: 6px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; } td, th { padding: 5px 10px; border-bottom: 1px solid #eef1f4; text-align: left; }
th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 13px; overflow-wrap: anywhere; }
.links { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 10px; }
.links a { display: block; padding: 10px 12px; border: 1px solid #e3e5ea; border-radius: 8px; color: var(--accent); font-weight: 600; text-decoration: none; background: #fff; }
.links a span { display: block; font-weight: 400; color: var(--muted); font-size: 13px; }
.links a:hover { border-color: var(--accent); }
`;

/**
 * The chart arithmetic, free of the DOM: the page script starts with it, and the tests run the very
 * same text in a VM, so what they check is what the browser runs.
 */
export const STATUS_CHART_JS = `
// Y-axis ticks from 0 for counts of events: every step is 1, 2 or 5 times a power of ten and never
// below 1, so no two labels can read the same (fractional steps rounded to "1, 1, 1, 0, 0" before).
// Up to 5, every whole number gets a tick.
function niceTicks(max) {
  var top = Math.max(1, Math.ceil(max)), step = 1;
  if (top > 5) {
    var raw = top / 4, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    top = Math.ceil(top / step) * step;
  }
  var ticks = [];
  for (var v = 0; v <= top; v += step) ticks.push(v);
  return ticks;
}

function formatCount(v) {
  if (v >= 1e6) return +(v / 1e6).toFixed(2) + 'M';
  if (v >= 1e4) return +(v / 1e3).toFixed(1) + 'k';
  return String(v);
}

// Events of one series in the last spanMs: the newest total less the total of the newest sample at or
// before the span's start (or of the first sample, when the run is younger than the span). Whole
// events, so "5 in the last minute" right after five orders, never a rounded-down rate.
function countInLast(samples, group, key, spanMs) {
  var last = samples[samples.length - 1];
  if (!last) return 0;
  var from = samples[0];
  for (var i = samples.length - 1; i >= 0; i--) if (samples[i].at <= last.at - spanMs) { from = samples[i]; break; }
  return Math.max(0, (last[group][key] || 0) - (from[group][key] || 0));
}

// Lines with equal values lie on top of each other: series i is drawn wider than the ones after it
// and every other one dashed, so each stays visible around (or through the gaps of) the next.
function strokeOf(i, n) {
  return { width: 2.5 + 3 * (n - 1 - i), dash: i % 2 === 1 ? '7 5' : '' };
}

function clock(ms) {
  var d = new Date(ms), p = function (v) { return v < 10 ? '0' + v : String(v); };
  return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
}
`;

export const STATUS_JS = `'use strict';
(function () {
${STATUS_CHART_JS}
  var SEGMENT_COLORS = ['#2f6fde', '#e0702b', '#2ba36b', '#a24bd1', '#d1304b', '#138a94', '#8a6d12', '#5c5c5c'];
  var OUTCOME_COLORS = { written: '#2ba36b', held: '#8a6d12', opted_out: '#5c5c5c', not_authorised: '#a24bd1', undeclared_segment: '#138a94', expired: '#2f6fde', invalid: '#d1304b', invalid_request: '#e0702b', not_ready: '#000000', store_unavailable: '#000000' };
  var SVG = 'http://www.w3.org/2000/svg';
  var MINUTE = 60 * 1000;
  var latest = null;
  function $(id) { return document.getElementById(id); }
  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function segmentColor(names, name) { return SEGMENT_COLORS[names.indexOf(name) % SEGMENT_COLORS.length]; }
  function outcomeColor(names, name) { return OUTCOME_COLORS[name] || SEGMENT_COLORS[names.indexOf(name) % SEGMENT_COLORS.length]; }

  // One chart of cumulative totals since start, sized to its container in CSS pixels (so its text
  // stays 12 px from a phone to a wide screen).
  function drawChart(box, history, group, names, colorOf, emptyText) {
    var width = Math.max(240, box.clientWidth), height = width < 500 ? 190 : 240;
    box.textContent = '';
    var svg = el('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height }, box);
    var samples = history.samples, last = samples[samples.length - 1];
    var max = 0;
    samples.forEach(function (s) { names.forEach(function (n) { max = Math.max(max, s[group][n] || 0); }); });
    if (!last || max === 0) {
      var t = el('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, svg);
      t.textContent = emptyText;
      box.setAttribute('aria-label', emptyText);
      return;
    }
    var ticks = niceTicks(max), top = ticks[ticks.length - 1], labels = ticks.map(formatCount);
    var x0 = 14 + 7 * Math.max.apply(null, labels.map(function (l) { return l.length; })), x1 = width - 10, y0 = height - 24, y1 = 10;
    var t0 = history.startedAt, span = Math.max(1, last.at - t0);
    function y(v) { return y0 - ((y0 - y1) * v) / top; }
    function x(at) { return x0 + ((x1 - x0) * (at - t0)) / span; }
    ticks.forEach(function (v, i) {
      el('line', { x1: x0, x2: x1, y1: y(v), y2: y(v), stroke: '#eef1f4' }, svg);
      el('text', { x: x0 - 6, y: y(v) + 4, 'text-anchor': 'end' }, svg).textContent = labels[i];
    });
    el('text', { x: x0, y: height - 6 }, svg).textContent = 'started ' + clock(t0);
    if (width >= 420) el('text', { x: (x0 + x1) / 2, y: height - 6, 'text-anchor': 'middle' }, svg).textContent = clock(t0 + span / 2);
    el('text', { x: x1, y: height - 6, 'text-anchor': 'end' }, svg).textContent = 'now ' + clock(last.at);
    names.forEach(function (name, i) {
      var d = samples.map(function (s, j) { return (j ? 'L' : 'M') + x(s.at).toFixed(1) + ' ' + y(s[group][name] || 0).toFixed(1); }).join(' ');
      var stroke = strokeOf(i, names.length), color = colorOf(names, name);
      el('path', { d: d, fill: 'none', stroke: color, 'stroke-width': stroke.width, 'stroke-dasharray': stroke.dash, 'stroke-linejoin': 'round', 'stroke-linecap': 'round', 'data-series': name }, svg);
    });
    box.setAttribute('aria-label', names.map(function (n) { return n + ' ' + (last[group][n] || 0); }).join(', '));
    box.setAttribute('data-ticks', labels.join(','));
  }

  function drawLegend(list, history, group, names, colorOf) {
    var samples = history.samples, last = samples[samples.length - 1];
    var young = last && last.at - history.startedAt < MINUTE;
    list.textContent = '';
    names.forEach(function (name, i) {
      var li = document.createElement('li'), sw = document.createElement('span'), figures = document.createElement('span');
      var stroke = strokeOf(i, names.length);
      sw.className = 'sw'; sw.style.borderTopColor = colorOf(names, name); sw.style.borderTopStyle = stroke.dash ? 'dashed' : 'solid';
      figures.className = 'muted';
      figures.textContent = formatCount(last[group][name] || 0) + ' since start · ' + countInLast(samples, group, name, MINUTE) + (young ? ' in the first minute' : ' in the last minute');
      li.setAttribute('data-series', name);
      li.appendChild(sw); li.appendChild(document.createTextNode(name)); li.appendChild(figures);
      list.appendChild(li);
    });
  }

  function senderLabel(d, id) {
    if (id === 'unknown') return 'sender unknown (not a token, or sealed with a key no site can be named for)';
    var s = d.senders[id] || { name: null, domains: [] };
    return (s.name ? s.name + ' (' + id + ')' : 'site ' + id) + (s.domains.length ? ' \u00b7 ' + s.domains.join(', ') : '');
  }

  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  // A sender whose tokens arrive sealed with a key we no longer hold has revoked its grant to us (or
  // rotated to a key it did not share): named from the key id, which was its own while it shared.
  function senderRow(d, id) {
    var o = d.outcomesBySender[id], text = Object.keys(o).sort().map(function (n) { return n + ' ' + o[n]; }).join(' \u00b7 ');
    var revoked = ((d.decryptBySender || {})[id] || {}).NotAuthorizedForKey || 0;
    if (id !== 'unknown' && revoked > 0) text += ' \u2014 key no longer shared with us (' + plural(revoked, 'pixel', 'pixels') + ' sealed with it)';
    return [senderLabel(d, id), text, 'sender-' + id];
  }

  var KEY_WHAT = { never_shared: 'never shared with this collector', owner_unknown: 'shared with us once; no token of it ever opened here, so its sender is unknown' };
  function unattributedRows(d) {
    var keys = d.unattributedKeys || {};
    return Object.keys(keys).sort(function (a, b) { return Number(a) - Number(b); }).map(function (id) {
      var what = keys[id], n = Object.keys(what).reduce(function (sum, k) { return sum + what[k]; }, 0);
      var label = id === 'other' ? 'more key ids' : 'key id ' + id + ', ' + Object.keys(what).map(function (k) { return KEY_WHAT[k] || k; }).join('; ');
      return [label, plural(n, 'pixel', 'pixels') + ' not opened', 'key-' + id];
    });
  }

  function listInto(list, rows) {
    list.textContent = '';
    rows.forEach(function (row) {
      var li = document.createElement('li'), b = document.createElement('b');
      b.textContent = row[0];
      li.appendChild(b); li.appendChild(document.createTextNode(': ' + row[1]));
      if (row[2]) li.setAttribute('data-testid', row[2]);
      list.appendChild(li);
    });
  }

  var DECRYPT_WHY = {
    Success: 'decrypted',
    NotAuthorizedForKey: 'the token\\u2019s key is not shared with this collector: a sender that never granted it, or whose sharing was revoked',
    NotAuthorizedForMasterKey: 'the token\\u2019s master key is unknown here (keys not synced yet, or another environment)',
    ExpiredToken: 'the token had expired',
    InvalidPayload: 'not a UID2 token',
    KeysNotSynced: 'this collector had no valid keys',
  };

  function render(d) {
    latest = d;
    var keys = d.keysLoaded ? 'Sharing keys loaded, ' + Math.round(d.keyAgeSeconds || 0) + ' s old.' : 'No sharing keys yet: pixels are answered but cannot be decrypted.';
    if (d.heldEvents > 0) keys += ' ' + d.heldEvents + ' events held until the operator answers opt-out checks.';
    var k = $('keys');
    k.textContent = keys; k.className = d.keysLoaded ? 'muted' : 'bad';
    $('since').textContent = 'Since the collector started at ' + clock(d.startedAt) + ' (' + new Date(d.startedAt).toLocaleDateString() + '), one point every ' + Math.round(d.history.intervalMs / 1000) + ' s.';
    var segNames = Object.keys(d.eventsBySegment).sort();
    drawChart($('events'), d.history, 'segments', segNames, segmentColor, 'No events written yet: they appear here as pixels arrive.');
    drawLegend($('legend'), d.history, 'segments', segNames, segmentColor);
    var outNames = Object.keys(d.outcomes).sort();
    drawChart($('outcomes'), d.history, 'outcomes', outNames, outcomeColor, 'No pixels yet.');
    drawLegend($('outcome-legend'), d.history, 'outcomes', outNames, outcomeColor);

    listInto($('senders'), Object.keys(d.outcomesBySender).sort().map(function (id) { return senderRow(d, id); }).concat(unattributedRows(d)));
    if (!$('senders').children.length) listInto($('senders'), [['none yet', 'no pixel has arrived']]);
    listInto($('decrypt'), Object.keys(d.decryptByStatus).sort().map(function (s) {
      return [s + ' ' + d.decryptByStatus[s], DECRYPT_WHY[s] || 'see the UID2 SDK documentation', 'decrypt-' + s];
    }));
    if (!$('decrypt').children.length) listInto($('decrypt'), [['none yet', 'no token has arrived']]);

    var body = $('segments');
    body.textContent = '';
    var names = {};
    Object.keys(d.members).concat(segNames).forEach(function (n) { names[n] = 1; });
    Object.keys(names).sort().forEach(function (n) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-segment', n);
      [n, d.members[n] || 0, d.eventsBySegment[n] || 0].forEach(function (v, i) {
        var td = document.createElement('td'); td.textContent = String(v); if (i) td.className = 'n'; tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    $('members-note').textContent = 'Live members: the distinct UID2s in a segment now, kept across restarts, '
      + (d.membersOptoutChecked ? 'with whoever opted out left out, as an export counts them. ' : 'NOT re-checked against opt-out: the operator cannot be reached. ')
      + 'Events since start: pixels written since ' + clock(d.startedAt) + '; one member can have many.';
    // The bulk API and dropped files: tokens by what became of them (rejected = every reject reason).
    var bulk = document.getElementById('bulk');
    bulk.textContent = '';
    [['api', 'bulk API'], ['file', 'dropped files']].forEach(function (r) {
      var o = (d.bulk || {})[r[0]] || {};
      var rejected = Object.keys(o).reduce(function (sum, k) { return k === 'written' || k === 'held' ? sum : sum + o[k]; }, 0);
      var tr = document.createElement('tr');
      [r[1], o.written || 0, o.held || 0, rejected].forEach(function (v, i) {
        var td = document.createElement('td'); td.textContent = String(v); if (i) td.className = 'n'; tr.appendChild(td);
      });
      bulk.appendChild(tr);
    });
    var files = d.dropFiles || {};
    $('drop-files').textContent = 'Dropped files: ' + (files.done || 0) + ' ingested · ' + (files.failed || 0) + ' moved to the failed area';
  }

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (latest) render(latest); }, 100);
  });

  // A collector that protects its status wants the admin token: open the page as /status#token=...
  // (a URL fragment never leaves the browser, so the token is in no request line or server log). It is
  // moved to this tab's sessionStorage and taken out of the address bar at once, so it stays out of
  // history, bookmarks and a shared screen.
  var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    try { sessionStorage.setItem('collector-admin-token', decodeURIComponent(m[1])); } catch (e) { /* storage refused: kept for this page only */ }
    var adminToken = decodeURIComponent(m[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }

  function poll() {
    var token = adminToken;
    try { token = token || sessionStorage.getItem('collector-admin-token'); } catch (e) { /* no storage */ }
    var headers = token ? { Authorization: 'Bearer ' + token } : {};
    fetch('/status.json', { cache: 'no-store', headers: headers })
      .then(function (r) {
        if (r.status === 401) throw new Error('401');
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(render)
      .catch(function (e) {
        var k = $('keys');
        k.textContent = e && e.message === '401' ? 'This collector needs its admin token: open /status#token=<admin token>.' : 'The collector cannot be reached; retrying.';
        k.className = 'bad';
      })
      .finally(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
`;
