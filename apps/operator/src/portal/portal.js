// The local portal: plain DOM + fetch against /admin/*. Text only goes in via textContent.
(() => {
  'use strict';
  const TYPES = ['DSP', 'ADVERTISER', 'DATA_PROVIDER', 'PUBLISHER'];
  const ROLES = ['GENERATOR', 'SHARER', 'ID_READER', 'MAPPER', 'OPTOUT'];
  const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
  const state = { participants: [], sender: null };

  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'testid') node.dataset.testid = v;
      else if (k === 'onclick') node.addEventListener('click', v);
      else node[k] = v;
    }
    for (const c of children) node.append(c);
    return node;
  }

  function message(text, isError = false) {
    const m = $('portal-message');
    m.textContent = text;
    m.classList.toggle('error', isError);
  }

  async function api(method, path, body) {
    const key = sessionStorage.getItem('uid2-admin-key') || '';
    const res = await fetch(`/admin${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'X-Audit-User': 'portal', ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(json.error ? json.error.message : `HTTP ${res.status}`);
    return json;
  }

  const time = (ms) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

  async function loadParticipants() {
    state.participants = await api('GET', '/participants');
    const select = $('participant-select');
    const keep = state.sender ?? (state.participants[0] && state.participants[0].siteId);
    select.replaceChildren(...state.participants.map((p) => el('option', { value: String(p.siteId), textContent: `${p.siteId} ${p.name} (${p.type})` })));
    state.sender = state.participants.some((p) => p.siteId === keep) ? keep : state.participants[0] && state.participants[0].siteId;
    if (state.sender !== undefined && state.sender !== null) select.value = String(state.sender);
    $('participants-table').tBodies[0].replaceChildren(
      ...state.participants.map((p) =>
        el('tr', { testid: `participant-row-${p.siteId}` }, [
          el('td', { textContent: String(p.siteId) }),
          el('td', { textContent: p.name }),
          el('td', { textContent: p.type }),
          el('td', { textContent: p.roles.join(', ') }),
          el('td', { textContent: p.domains.join(', ') }),
          el('td', { textContent: p.keypairs.filter((k) => !k.disabled).map((k) => k.subscriptionId).join(', ') }),
        ]),
      ),
    );
  }

  async function changeSharing(action, change) {
    try {
      await api('POST', `/sharing/${state.sender}/${action}`, change);
      message(`${action === 'grant' ? 'Granted' : 'Revoked'} ${[...(change.types || []), ...(change.sites || [])].join(', ')}`);
    } catch (e) {
      message(e.message, true);
    }
    await loadSharing();
  }

  async function loadSharing() {
    if (state.sender === null || state.sender === undefined) return;
    const view = await api('GET', `/sharing/${state.sender}`);
    $('sharing-sender').textContent = `${view.siteId} ${view.name} (${view.type})`;
    $('sharing-types').tBodies[0].replaceChildren(
      ...TYPES.map((t) => {
        const shared = view.types.includes(t);
        return el('tr', { testid: `type-row-${t}` }, [
          el('td', { textContent: t }),
          el('td', { testid: `type-status-${t}`, textContent: shared ? 'shared' : 'not shared' }),
          el('td', {}, [
            el('button', { testid: `grant-type-${t}`, textContent: 'Share', disabled: shared, onclick: () => changeSharing('grant', { types: [t] }) }),
            ' ',
            el('button', { testid: `revoke-type-${t}`, textContent: 'Revoke', disabled: !shared, onclick: () => changeSharing('revoke', { types: [t] }) }),
          ]),
        ]);
      }),
    );
    const others = state.participants.filter((p) => p.siteId !== view.siteId);
    $('sharing-sites').tBodies[0].replaceChildren(
      ...others.map((p) => {
        const individual = view.sites.includes(p.siteId);
        const viaType = view.types.includes(p.type);
        const status = individual ? 'shared' : viaType ? 'shared via type' : 'not shared';
        return el('tr', { testid: `site-row-${p.siteId}` }, [
          el('td', { textContent: String(p.siteId) }),
          el('td', { textContent: p.name }),
          el('td', { textContent: p.type }),
          el('td', { testid: `site-status-${p.siteId}`, textContent: status }),
          el('td', {}, [
            el('button', { testid: `grant-site-${p.siteId}`, textContent: 'Share', disabled: individual || viaType, onclick: () => changeSharing('grant', { sites: [p.siteId] }) }),
            ' ',
            el('button', { testid: `revoke-site-${p.siteId}`, textContent: 'Revoke', disabled: !individual, onclick: () => changeSharing('revoke', { sites: [p.siteId] }) }),
          ]),
        ]);
      }),
    );
    $('allowed-sites').textContent = view.allowedSites.length ? view.allowedSites.join(', ') : 'none';
  }

  async function loadOptouts() {
    $('optout-count').textContent = String((await api('GET', '/optouts')).count);
  }

  async function loadKeysets() {
    const keysets = await api('GET', '/keysets');
    $('keysets-table').tBodies[0].replaceChildren(
      ...keysets.map((ks) =>
        el('tr', { testid: `keyset-row-${ks.keysetId}` }, [
          el('td', { textContent: String(ks.keysetId) }),
          el('td', { textContent: String(ks.siteId) }),
          el('td', { textContent: ks.name }),
          el('td', { textContent: ks.keys.map((k) => `${k.id}${k.active ? '*' : ''}: ${time(k.activates)} → ${time(k.expires)}`).join('; ') }),
        ]),
      ),
    );
  }

  async function loadSalts() {
    const salts = await api('GET', '/salts');
    $('salt-summary').textContent = `${salts.buckets} buckets, ${salts.rotatedLast90Days} rotated in the last 90 days`;
  }

  async function loadAudit() {
    const entries = await api('GET', '/audit?limit=200');
    $('audit-table').tBodies[0].replaceChildren(
      ...entries.map((e) =>
        el('tr', { testid: 'audit-row' }, [
          el('td', { textContent: time(e.time) }),
          el('td', { textContent: e.user }),
          el('td', { textContent: e.event }),
          el('td', { textContent: JSON.stringify(e.data) }),
          el('td', { textContent: e.succeeded ? 'yes' : 'no' }),
        ]),
      ),
    );
  }

  async function loadAll() {
    try {
      await loadParticipants();
      await Promise.all([loadSharing(), loadOptouts(), loadKeysets(), loadSalts(), loadAudit()]);
      document.body.dataset.ready = 'true';
    } catch (e) {
      message(e.message, true);
    }
  }

  $('new-participant-roles').replaceChildren(
    ...ROLES.map((r) => el('label', {}, [el('input', { type: 'checkbox', value: r, testid: `new-participant-role-${r}` }), ` ${r} `])),
  );

  $('admin-key-save').addEventListener('click', () => {
    sessionStorage.setItem('uid2-admin-key', $('admin-key').value.trim());
    $('admin-key').value = '';
    message('');
    loadAll();
  });

  $('participant-select').addEventListener('change', (ev) => {
    state.sender = Number(ev.target.value);
    loadSharing().catch((e) => message(e.message, true));
  });

  $('new-participant-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const roles = ROLES.filter((r) => $(`new-participant-role-${r}`).checked);
    const domains = $('new-participant-domains').value.split(',').map((d) => d.trim()).filter(Boolean);
    try {
      const out = await api('POST', '/participants', { name: $('new-participant-name').value, type: $('new-participant-type').value, roles, domains });
      const creds = $('new-participant-credentials');
      creds.textContent = JSON.stringify(out.credentials, null, 2);
      creds.hidden = false;
      message(`Added participant ${out.participant.siteId} (copy its API key and secret now: they are not shown again)`);
      await loadAll();
    } catch (e) {
      message(e.message, true);
    }
  });

  $('optout-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = $('optout-input').value.trim();
    try {
      const out = await api('POST', '/optouts', value.startsWith('+') ? { phone: value } : { email: value });
      $('optout-result').textContent = out.added ? 'Opted out' : 'Already opted out';
      $('optout-input').value = '';
      await Promise.all([loadOptouts(), loadAudit()]);
    } catch (e) {
      $('optout-result').textContent = e.message;
    }
  });

  $('rotate-keys').addEventListener('click', async () => {
    try {
      const out = await api('POST', '/keys/rotate', { activateNow: $('rotate-activate-now').checked });
      $('rotate-result').textContent = `Added keys ${out.added.map((k) => k.id).join(', ')}`;
      await Promise.all([loadKeysets(), loadAudit()]);
    } catch (e) {
      $('rotate-result').textContent = e.message;
    }
  });

  $('role-select').replaceChildren(...ROLES.map((r) => el('option', { value: r, textContent: r, selected: r === 'MAPPER' })));

  $('role-grant').addEventListener('click', async () => {
    const role = $('role-select').value;
    const current = state.participants.find((p) => p.siteId === state.sender);
    if (!current) return;
    try {
      await api('PATCH', `/participants/${current.siteId}`, { roles: [...new Set([...current.roles, role])] });
      $('role-result').textContent = `${current.name} has ${role}`;
      await Promise.all([loadParticipants(), loadAudit()]);
    } catch (e) {
      $('role-result').textContent = e.message;
    }
  });

  $('salt-rotate').addEventListener('click', async () => {
    try {
      const out = await api('POST', '/salts/rotate', { fraction: Number($('salt-rotate-share').value) / 100 });
      $('salt-rotate-result').textContent = `Rotated ${out.rotated} buckets`;
      await Promise.all([loadSalts(), loadAudit()]);
    } catch (e) {
      $('salt-rotate-result').textContent = e.message;
    }
  });

  $('audit-refresh').addEventListener('click', () => loadAudit().catch((e) => message(e.message, true)));

  if (sessionStorage.getItem('uid2-admin-key')) loadAll();
  else message('Enter the admin key (adminKey in the fixture) and sign in.');
})();
