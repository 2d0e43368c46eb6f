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
    <h2>Events written per second, by segment</h2>
    <canvas id="rates" width="760" height="240" aria-label="events per second by segment"></canvas>
    <ul id="legend" class="legend"></ul>
  </section>
  <section>
    <h2>Decryption results</h2>
    <canvas id="decrypt" width="760" height="200" aria-label="decryption results by status"></canvas>
  </section>
  <section>
    <h2>Segments</h2>
    <table><thead><tr><th>segment</th><th>live members</th><th>events written</th></tr></thead><tbody id="segments"></tbody></table>
    <p class="muted" id="outcomes"></p>
  </section>
</main>
<script src="/status/app.js"></script>
</body>
</html>
`;

export const STATUS_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2733; background: #f7f9fb; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 24px 0 8px; }
canvas { background: #fff; border: 1px solid #dde3ea; border-radius: 6px; max-width: 100%; }
table { border-collapse: collapse; background: #fff; } td, th { padding: 4px 12px; border-bottom: 1px solid #eef1f4; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #5b6b7c; } .bad { color: #b3261e; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 12px; }
.legend span { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
`;

export const STATUS_JS = `'use strict';
(function () {
  var COLORS = ['#2f6fde', '#e0702b', '#2ba36b', '#a24bd1', '#d1304b', '#138a94', '#8a6d12', '#5c5c5c'];
  var WINDOW = 60;
  var history = []; // [{at, rates: {segment: perSecond}}]
  var previous = null;
  var colorOf = {};
  function color(name) {
    if (!(name in colorOf)) colorOf[name] = COLORS[Object.keys(colorOf).length % COLORS.length];
    return colorOf[name];
  }
  function text(id, value) { document.getElementById(id).textContent = value; }

  function drawRates() {
    var c = document.getElementById('rates'), g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    var names = {}, max = 1;
    history.forEach(function (h) { Object.keys(h.rates).forEach(function (n) { names[n] = 1; max = Math.max(max, h.rates[n]); }); });
    var pad = 36, w = c.width - pad - 8, h = c.height - 24;
    g.strokeStyle = '#dde3ea'; g.fillStyle = '#5b6b7c'; g.font = '11px system-ui';
    for (var i = 0; i <= 4; i++) {
      var y = 8 + h - (h * i) / 4;
      g.beginPath(); g.moveTo(pad, y); g.lineTo(pad + w, y); g.stroke();
      g.fillText(String(Math.round((max * i) / 4)), 2, y + 4);
    }
    Object.keys(names).forEach(function (name) {
      g.strokeStyle = color(name); g.lineWidth = 2; g.beginPath();
      history.forEach(function (p, i) {
        var x = pad + (w * (i + WINDOW - history.length)) / (WINDOW - 1);
        var y = 8 + h - (h * (p.rates[name] || 0)) / max;
        if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
    });
    var legend = document.getElementById('legend');
    legend.textContent = '';
    Object.keys(names).sort().forEach(function (name) {
      var li = document.createElement('li'), sw = document.createElement('span');
      sw.style.background = color(name);
      li.appendChild(sw); li.appendChild(document.createTextNode(name));
      legend.appendChild(li);
    });
  }

  function drawDecrypt(byStatus) {
    var c = document.getElementById('decrypt'), g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    var names = Object.keys(byStatus).sort(), max = 1;
    names.forEach(function (n) { max = Math.max(max, byStatus[n]); });
    var rowH = Math.min(28, (c.height - 8) / Math.max(1, names.length)), left = 190, w = c.width - left - 80;
    g.font = '12px system-ui';
    names.forEach(function (n, i) {
      var y = 4 + i * rowH;
      g.fillStyle = '#1d2733'; g.fillText(n, 8, y + rowH * 0.65);
      g.fillStyle = n === 'Success' ? '#2ba36b' : '#d1304b';
      g.fillRect(left, y + 4, Math.max(1, (w * byStatus[n]) / max), rowH - 8);
      g.fillStyle = '#1d2733'; g.fillText(String(byStatus[n]), left + Math.max(1, (w * byStatus[n]) / max) + 6, y + rowH * 0.65);
    });
  }

  function render(d) {
    var keys = d.keysLoaded ? 'sharing keys loaded, ' + Math.round(d.keyAgeSeconds || 0) + ' s old' : 'no sharing keys yet: pixels are answered but not decrypted';
    if (d.heldEvents > 0) keys += ' · ' + d.heldEvents + ' events held until the operator answers opt-out checks';
    var k = document.getElementById('keys');
    k.textContent = keys; k.className = d.keysLoaded ? 'muted' : 'bad';
    if (previous) {
      var dt = Math.max(0.001, (d.at - previous.at) / 1000), rates = {};
      Object.keys(d.eventsBySegment).forEach(function (s) {
        rates[s] = Math.max(0, (d.eventsBySegment[s] - (previous.eventsBySegment[s] || 0)) / dt);
      });
      history.push({ at: d.at, rates: rates });
      if (history.length > WINDOW) history.shift();
    }
    previous = d;
    drawRates();
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
    text('outcomes', 'Pixel outcomes: ' + Object.keys(d.outcomes).sort().map(function (o) { return o + ' ' + d.outcomes[o]; }).join(' · '));
  }

  function poll() {
    fetch('/status.json', { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(render)
      .catch(function () { text('keys', 'collector not reachable'); })
      .finally(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
`;
