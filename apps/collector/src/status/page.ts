// The status page: plain HTML and one small script (served from this origin, so the CSP needs no
// 'unsafe-inline'), drawing on <canvas> what /status.json reports every two seconds. No CDN.

export const STATUS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>UID2 pixel collector</title>
<link rel="stylesheet" href="/status/style.css">
</head>
<body>
<header>
  <h1>UID2 pixel collector</h1>
  <p id="keys" class="muted">loading…</p>
</header>
<main>
  <section>
    <h2>Events written by segment</h2>
    <p class="muted note">Total since the collector started, over the last 5 minutes this page has been open; rate averaged over the last minute.</p>
    <canvas id="events" width="760" height="240" aria-label="events written by segment"></canvas>
    <ul id="legend" class="legend"></ul>
  </section>
  <section>
    <h2>Decryption results</h2>
    <canvas id="decrypt" width="760" height="120" aria-label="decryption results by status"></canvas>
  </section>
  <section>
    <h2>Segments</h2>
    <table><thead><tr><th>segment</th><th>live members</th><th>events written</th></tr></thead><tbody id="segments"></tbody></table>
    <p class="muted" id="outcomes"></p>
  </section>
  <section>
    <h2>Bulk routes</h2>
    <table><thead><tr><th>route</th><th>written</th><th>held</th><th>rejected</th></tr></thead><tbody id="bulk"></tbody></table>
    <p class="muted" id="drop-files"></p>
  </section>
</main>
<script src="/status/app.js"></script>
</body>
</html>
`;

export const STATUS_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2733; background: #f7f9fb; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 24px 0 8px; }
canvas { display: block; background: #fff; border: 1px solid #dde3ea; border-radius: 6px; max-width: 100%; }
table { border-collapse: collapse; background: #fff; } td, th { padding: 4px 12px; border-bottom: 1px solid #eef1f4; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #5b6b7c; } .bad { color: #b3261e; } .note { font-size: 12px; margin: -4px 0 8px; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 18px; font-variant-numeric: tabular-nums; }
.legend .sw { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
.legend .muted { margin-left: 6px; }
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

function formatRate(r) {
  if (r === 0) return '0/s';
  return (r < 10 ? r.toFixed(1) : String(Math.round(r))) + '/s';
}

function formatAgo(ms) {
  var s = Math.round(ms / 1000);
  return s < 120 ? '-' + s + ' s' : '-' + Math.round(s / 60) + ' min';
}

// history: [{at, totals: {segment: events written since start}}], oldest first. Keeps what lies in
// the window plus the sample just before it, so the lines reach the left edge. A total that went down
// means the collector (or a cluster worker) restarted: the old samples no longer add up, drop them.
function addSample(history, sample, windowMs) {
  var last = history[history.length - 1];
  if (last && Object.keys(last.totals).some(function (s) { return (sample.totals[s] || 0) < last.totals[s]; })) history.length = 0;
  history.push(sample);
  while (history.length > 2 && history[1].at <= sample.at - windowMs) history.shift();
  return history;
}

// Events per second of one segment between the newest sample and the oldest one within spanMs of it.
function ratePerSecond(history, segment, spanMs) {
  var last = history[history.length - 1], first = last;
  for (var i = history.length - 2; i >= 0 && history[i].at >= last.at - spanMs; i--) first = history[i];
  if (!last || last.at === first.at) return 0;
  return Math.max(0, ((last.totals[segment] || 0) - (first.totals[segment] || 0)) / ((last.at - first.at) / 1000));
}
`;

export const STATUS_JS = `'use strict';
(function () {
${STATUS_CHART_JS}
  var COLORS = ['#2f6fde', '#e0702b', '#2ba36b', '#a24bd1', '#d1304b', '#138a94', '#8a6d12', '#5c5c5c'];
  var WINDOW_MS = 5 * 60 * 1000, RATE_MS = 60 * 1000;
  var history = [];
  var colorOf = {};
  function color(name) {
    if (!(name in colorOf)) colorOf[name] = COLORS[Object.keys(colorOf).length % COLORS.length];
    return colorOf[name];
  }
  function text(id, value) { document.getElementById(id).textContent = value; }

  function message(g, c, words) {
    g.fillStyle = '#5b6b7c'; g.font = '13px system-ui'; g.textAlign = 'center';
    g.fillText(words, c.width / 2, c.height / 2);
    g.textAlign = 'start';
  }

  function drawEvents() {
    var c = document.getElementById('events'), g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    var last = history[history.length - 1];
    var names = last ? Object.keys(last.totals).sort() : [];
    names.forEach(color); // colours in name order, stable while the page is open
    drawLegend(names, last);
    var max = 0;
    history.forEach(function (h) { names.forEach(function (n) { max = Math.max(max, h.totals[n] || 0); }); });
    if (!last) return message(g, c, 'waiting for the collector…');
    if (max === 0) {
      c.setAttribute('aria-label', 'no events written yet');
      return message(g, c, 'No events written yet: they appear here as pixels arrive.');
    }
    var ticks = niceTicks(max), top = ticks[ticks.length - 1], labels = ticks.map(formatCount);
    g.font = '11px system-ui';
    var pad = 12 + Math.max.apply(null, labels.map(function (l) { return g.measureText(l).width; }));
    var x0 = pad, x1 = c.width - 12, y0 = c.height - 22, y1 = 10;
    var t0 = Math.max(history[0].at, last.at - WINDOW_MS), span = last.at - t0;
    function y(v) { return y0 - ((y0 - y1) * v) / top; }
    // One sample has no duration yet: its totals are what holds now, drawn across the whole width.
    function x(at) { return span === 0 ? x0 : x0 + ((x1 - x0) * (Math.max(at, t0) - t0)) / span; }
    g.lineWidth = 1; g.strokeStyle = '#eef1f4'; g.fillStyle = '#5b6b7c'; g.textAlign = 'right';
    ticks.forEach(function (v, i) {
      g.beginPath(); g.moveTo(x0, y(v) + 0.5); g.lineTo(x1, y(v) + 0.5); g.stroke();
      g.fillText(labels[i], pad - 6, y(v) + 4);
    });
    g.textAlign = 'left'; g.fillText(span === 0 ? 'page opened' : formatAgo(span), x0, c.height - 6);
    g.textAlign = 'right'; g.fillText('now', x1, c.height - 6);
    g.textAlign = 'start';
    names.forEach(function (name) {
      g.strokeStyle = g.fillStyle = color(name); g.lineWidth = 2; g.beginPath();
      history.forEach(function (p, i) {
        var px = x(p.at), py = y(p.totals[name] || 0);
        if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
      });
      if (span === 0) g.lineTo(x1, y(last.totals[name] || 0));
      g.stroke();
      g.beginPath(); g.arc(x1, y(last.totals[name] || 0), 3, 0, 2 * Math.PI); g.fill();
    });
    c.setAttribute('aria-label', 'events written by segment: ' + names.map(function (n) { return n + ' ' + last.totals[n]; }).join(', '));
    c.setAttribute('data-ticks', labels.join(','));
  }

  function drawLegend(names, last) {
    var legend = document.getElementById('legend');
    legend.textContent = '';
    names.forEach(function (name) {
      var li = document.createElement('li'), sw = document.createElement('span'), figures = document.createElement('span');
      sw.className = 'sw'; sw.style.background = color(name);
      figures.className = 'muted';
      figures.textContent = formatCount(last.totals[name] || 0) + ' total · ' + formatRate(ratePerSecond(history, name, RATE_MS));
      li.appendChild(sw); li.appendChild(document.createTextNode(name)); li.appendChild(figures);
      legend.appendChild(li);
    });
  }

  function drawDecrypt(byStatus) {
    var c = document.getElementById('decrypt'), names = Object.keys(byStatus).sort(), rowH = 28;
    var height = 8 + rowH * Math.max(1, names.length);
    if (c.height !== height) c.height = height; // resizing also clears
    var g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    if (names.length === 0) return message(g, c, 'No pixels decrypted yet.');
    var max = 1, left = 190, w = c.width - left - 80;
    names.forEach(function (n) { max = Math.max(max, byStatus[n]); });
    g.font = '12px system-ui';
    names.forEach(function (n, i) {
      var y = 4 + i * rowH, bar = Math.max(1, (w * byStatus[n]) / max);
      g.fillStyle = '#1d2733'; g.fillText(n, 8, y + rowH * 0.65);
      g.fillStyle = n === 'Success' ? '#2ba36b' : '#d1304b';
      g.fillRect(left, y + 4, bar, rowH - 8);
      g.fillStyle = '#1d2733'; g.fillText(formatCount(byStatus[n]), left + bar + 6, y + rowH * 0.65);
    });
  }

  function render(d) {
    var keys = d.keysLoaded ? 'sharing keys loaded, ' + Math.round(d.keyAgeSeconds || 0) + ' s old' : 'no sharing keys yet: pixels are answered but not decrypted';
    if (d.heldEvents > 0) keys += ' · ' + d.heldEvents + ' events held until the operator answers opt-out checks';
    var k = document.getElementById('keys');
    k.textContent = keys; k.className = d.keysLoaded ? 'muted' : 'bad';
    addSample(history, { at: d.at, totals: d.eventsBySegment }, WINDOW_MS);
    drawEvents();
    drawDecrypt(d.decryptByStatus);
    var body = document.getElementById('segments');
    body.textContent = '';
    var names = {};
    Object.keys(d.members).concat(Object.keys(d.eventsBySegment)).forEach(function (n) { names[n] = 1; });
    Object.keys(names).sort().forEach(function (n) {
      var tr = document.createElement('tr');
      [n, d.members[n] || 0, d.eventsBySegment[n] || 0].forEach(function (v, i) {
        var td = document.createElement('td'); td.textContent = String(v); if (i) td.className = 'n'; tr.appendChild(td);
      });
      body.appendChild(tr);
    });
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
    text('drop-files', 'Dropped files: ' + (files.done || 0) + ' ingested · ' + (files.failed || 0) + ' moved to the failed area');
    text('outcomes', 'Pixel outcomes: ' + Object.keys(d.outcomes).sort().map(function (o) { return o + ' ' + d.outcomes[o]; }).join(' · '));
  }

  function poll() {
    // A collector that protects its status wants the admin token: open the page as /status#token=...
    // (a URL fragment never leaves the browser, so the token is in no request line or server log).
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    var headers = m ? { Authorization: 'Bearer ' + decodeURIComponent(m[1]) } : {};
    fetch('/status.json', { cache: 'no-store', headers: headers })
      .then(function (r) {
        if (r.status === 401) throw new Error('401');
        return r.json();
      })
      .then(render)
      .catch(function (e) {
        text('keys', e && e.message === '401' ? 'this collector needs its admin token: open /status#token=<admin token>' : 'collector not reachable');
      })
      .finally(function () { setTimeout(poll, 2000); });
  }
  drawEvents();
  poll();
})();
`;
