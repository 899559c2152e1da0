// The status page: reads status.json once a second and draws it. Every value from the daemon is put into the page
// with textContent, never parsed as markup: destination names and other peer-controlled text inside error messages
// stay text.
'use strict';

(function () {
  const pageErrors = [];
  function pageError(text) {
    pageErrors.push(String(text));
    const list = document.getElementById('page-errors');
    const li = document.createElement('li');
    li.textContent = String(text);
    list.appendChild(li);
    list.hidden = false;
  }
  window.addEventListener('error', (e) => pageError(e.message));
  window.addEventListener('unhandledrejection', (e) => pageError(e.reason));

  const charts = new Map(); // link key -> { box, plot, fields }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function rate(bytesPerSecond) {
    const bits = bytesPerSecond * 8;
    if (bits >= 1e9) return (bits / 1e9).toFixed(2) + ' Gbit/s';
    if (bits >= 1e6) return (bits / 1e6).toFixed(2) + ' Mbit/s';
    if (bits >= 1e3) return (bits / 1e3).toFixed(1) + ' kbit/s';
    return bits.toFixed(0) + ' bit/s';
  }

  function bytes(n) {
    if (n < 0) return 'n/a';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return n.toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
  }

  function duration(s) {
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm ' + (s % 60) + 's';
  }

  function fill(dl, pairs) {
    dl.replaceChildren();
    for (const [k, v] of pairs) {
      dl.appendChild(el('dt', k));
      dl.appendChild(el('dd', v === null || v === undefined ? 'n/a' : v));
    }
  }

  function linkBox(link) {
    const box = el('div', null, 'link');
    box.dataset.key = link.key;
    const title = el('h3');
    const fields = {
      name: el('span'), state: el('span'), sent: el('span', null, 'rate-sent'),
      received: el('span', null, 'rate-received'), detail: el('p', null, 'muted'),
    };
    title.append(fields.name, ' ', fields.state);
    const rates = el('p', null, 'rates');
    rates.append('sent ', fields.sent, ' · received ', fields.received);
    const plotBox = el('div');
    box.append(title, fields.detail, rates, plotBox);
    document.getElementById('links').appendChild(box);
    const width = Math.max(300, Math.min(1000, document.body.clientWidth - 80));
    const plot = new uPlot({
      width: width, height: 160,
      // y from 0: a link that idles reads as idle, not as a flat line at the top of a zoomed axis
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max * 1.1, 1000)] } },
      axes: [{}, { values: (u, v) => v.map((b) => rate(b)), size: 90 }],
      series: [{}, { label: 'sent', stroke: '#0969da', width: 1.5 },
        { label: 'received', stroke: '#bf3989', width: 1.5 }],
    }, [[], [], []], plotBox);
    return { box, plot, fields };
  }

  function drawLinks(status) {
    const seen = new Set();
    const end = Math.floor(status.sampleTime / 1000);
    for (const link of status.links) {
      seen.add(link.key);
      let c = charts.get(link.key);
      if (!c) { c = linkBox(link); charts.set(link.key, c); }
      c.fields.name.textContent = link.interface ? link.interface + ': ' + link.key : link.key;
      c.fields.state.textContent = link.state + (link.role ? ' (' + link.role + ')' : '');
      c.fields.state.className = 'state-' + link.state;
      c.fields.sent.textContent = rate(link.sentRate);
      c.fields.received.textContent = rate(link.receivedRate);
      c.box.dataset.sentRate = String(link.sentRate);
      c.box.dataset.receivedRate = String(link.receivedRate);
      c.fields.detail.textContent = 'local ' + link.local + (link.remote ? ' · remote ' + link.remote : '')
        + ' · total sent ' + bytes(link.sentTotal) + ', received ' + bytes(link.receivedTotal);
      const n = link.sentHistory.length;
      const xs = new Array(n);
      for (let i = 0; i < n; i++) xs[i] = end - (n - 1 - i);
      c.plot.setData([xs, link.sentHistory, link.receivedHistory]);
    }
    for (const [key, c] of charts) {
      if (!seen.has(key)) { c.plot.destroy(); c.box.remove(); charts.delete(key); }
    }
    const links = document.getElementById('links');
    let none = document.getElementById('no-links');
    if (status.links.length === 0 && !none) {
      none = el('p', 'No link has carried bytes yet.', 'muted');
      none.id = 'no-links';
      links.appendChild(none);
    } else if (status.links.length > 0 && none) {
      none.remove();
    }
  }

  function draw(status) {
    document.getElementById('daemon').textContent = 'mpgw ' + status.daemon;
    document.title = 'mpgw ' + status.daemon + ' status';
    const conn = document.getElementById('connection');
    conn.textContent = 'updated ' + new Date(status.sampleTime || Date.now()).toLocaleTimeString();
    conn.className = 'muted';
    drawLinks(status);
    const sub = status.subflows;
    fill(document.getElementById('flows'), [
      [status.daemon === 'server' ? 'TCP connections' : 'TCP flows', status.flows.tcpActive],
      ['UDP sessions', status.flows.udpSessions],
      ['MPTCP fallbacks', status.mptcpFallbacks],
      ['subflows per upstream (mean / max)', sub.samples === null || sub.samples === undefined ? null
        : sub.samples === 0 ? 'no sample yet' : sub.mean + ' / ' + sub.max],
    ]);
    fill(document.getElementById('outcomes'),
      Object.entries(status.outcomes.counts).map(([k, v]) => [status.outcomes.tag + ' ' + k, v]));
    const m = status.memory;
    fill(document.getElementById('process'), [
      ['version', status.version], ['uptime', duration(status.uptimeSeconds)], ['config', status.configFile],
      ['resident memory', bytes(m.rss)], ['heap used / max', bytes(m.heapUsed) + ' / ' + bytes(m.heapMax)],
      ['direct memory', bytes(m.directUsed)],
    ]);
    const body = document.querySelector('#errors tbody');
    body.replaceChildren();
    for (const e of status.errors) {
      const tr = el('tr');
      tr.append(el('td', e.time), el('td', e.level), el('td', e.logger), el('td', e.message, 'message'));
      body.appendChild(tr);
    }
    if (status.errors.length === 0) {
      const tr = el('tr');
      const td = el('td', 'none since the start', 'muted');
      td.colSpan = 4;
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  async function refresh() {
    try {
      const response = await fetch('status.json', { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      draw(await response.json());
    } catch (e) {
      const conn = document.getElementById('connection');
      conn.textContent = 'the daemon does not answer (' + e.message + '); retrying';
      conn.className = 'stale';
    }
  }

  refresh();
  setInterval(refresh, 1000);
})();
