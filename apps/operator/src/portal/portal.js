// The local portal: plain DOM + fetch against /admin/*. Text only goes in via textContent.
// Roles and participant types come from GET /admin/meta, so a new role needs no change here.
(() => {
  'use strict';
  const KEY_STORAGE = 'uid2-admin-key';
  const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
  const state = { participants: [], sender: null, meta: { roles: [], types: [] } };
  // Same rule as the operator's (participants.ts): letters, digits and hyphens in dot-separated labels.
  const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'testid') node.dataset.testid = v;
      else if (k === 'label') {
        if (v) node.dataset.label = v;
      }
      else if (k === 'onclick') node.addEventListener('click', v);
      else node[k] = v;
    }
    for (const c of children) node.append(c);
    return node;
  }

  /** A table row whose cells carry their column name, so narrow screens can show each row as a card. */
  const row = (testid, cells, className = '') =>
    el('tr', { testid, className }, cells.map(([label, content, props = {}]) => el('td', { label, ...props }, [content])));

  function message(text, isError = false) {
    const m = $('portal-message');
    m.textContent = text;
    m.classList.toggle('error', isError);
  }

  const localTime = (ms) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

  class ApiError extends Error {
    constructor(status, text) {
      super(text);
      this.status = status;
    }
  }

  async function api(method, path, body, key = sessionStorage.getItem(KEY_STORAGE) || '') {
    let res;
    try {
      res = await fetch(`/admin${path}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'X-Audit-User': 'portal', ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new ApiError(0, 'The operator did not answer: is it still running?');
    }
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, json.error ? json.error.message : `HTTP ${res.status}`);
    return json;
  }

  // --- Signing in and out ------------------------------------------------------------------------

  function showSignedIn(signedIn) {
    $('sign-in-screen').hidden = signedIn;
    $('portal-app').hidden = !signedIn;
    $('signed-in-as').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
    if (!signedIn) {
      delete document.body.dataset.ready;
      $('admin-key').focus();
    }
  }

  function signOut(reason = '') {
    sessionStorage.removeItem(KEY_STORAGE);
    $('sign-in-error').textContent = reason;
    $('new-participant-credentials').hidden = true;
    message('');
    showSignedIn(false);
  }

  /** Any call that finds the key refused ends the session: the operator may have been re-seeded. */
  function failed(error, show = (text) => message(text, true)) {
    if (error.status === 401) signOut('The operator no longer accepts this admin key. Sign in again.');
    else show(error.message);
  }

  $('sign-in-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = $('admin-key').value.trim();
    const error = $('sign-in-error');
    if (!key) {
      error.textContent = 'Enter the admin key.';
      return;
    }
    try {
      if (!(await api('POST', '/session', undefined, key)).valid) {
        error.textContent = 'That admin key is not right. Use adminKey from apps/operator/fixtures/dev.json (or from the fixture this operator was first started with).';
        $('admin-key').select();
        return;
      }
      state.meta = await api('GET', '/meta', undefined, key);
    } catch (e) {
      error.textContent = e.message;
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    $('admin-key').value = '';
    error.textContent = '';
    renderRoleChoices();
    showSignedIn(true);
    await loadAll();
  });

  $('sign-out').addEventListener('click', () => signOut());

  // --- Sharing -------------------------------------------------------------------------------------

  const siteLabel = (siteId) => {
    const p = state.participants.find((x) => x.siteId === siteId);
    return p ? `${siteId} ${p.name}` : String(siteId);
  };

  async function loadParticipants() {
    state.participants = await api('GET', '/participants');
    const select = $('participant-select');
    const keep = state.sender ?? (state.participants[0] && state.participants[0].siteId);
    select.replaceChildren(...state.participants.map((p) => el('option', { value: String(p.siteId), textContent: `${p.siteId} ${p.name} (${p.type})` })));
    state.sender = state.participants.some((p) => p.siteId === keep) ? keep : state.participants[0] && state.participants[0].siteId;
    if (state.sender !== undefined && state.sender !== null) select.value = String(state.sender);
    $('participants-table').tBodies[0].replaceChildren(
      ...state.participants.map((p) =>
        row(`participant-row-${p.siteId}`, [
          ['Site', String(p.siteId)],
          ['Name', p.name],
          ['Type', p.type],
          ['Roles', p.roles.join(', ') || 'none'],
          ['Domains', p.domains.join(', ') || 'none'],
          ['Subscription', p.keypairs.filter((k) => !k.disabled).map((k) => k.subscriptionId).join(', ') || 'none'],
        ]),
      ),
    );
  }

  async function changeSharing(action, change) {
    try {
      await api('POST', `/sharing/${state.sender}/${action}`, change);
      const what = [...(change.types || []).map((t) => `every ${t}`), ...(change.sites || []).map(siteLabel)].join(', ');
      message(action === 'grant' ? `${siteLabel(state.sender)} now shares with ${what}` : `${siteLabel(state.sender)} stopped sharing with ${what}`);
    } catch (e) {
      failed(e);
    }
    await Promise.all([loadSharing(), loadAudit()]).catch(failed);
  }

  const shareButtons = (kind, id, canGrant, canRevoke, change) =>
    el('span', { className: 'actions' }, [
      el('button', { className: 'small', testid: `grant-${kind}-${id}`, textContent: 'Share', disabled: !canGrant, onclick: () => changeSharing('grant', change) }),
      el('button', { className: 'small quiet', testid: `revoke-${kind}-${id}`, textContent: 'Revoke', disabled: !canRevoke, onclick: () => changeSharing('revoke', change) }),
    ]);

  async function loadSharing() {
    if (state.sender === null || state.sender === undefined) return;
    const view = await api('GET', `/sharing/${state.sender}`);
    $('sharing-sender').textContent = `${view.siteId} ${view.name} (${view.type})`;
    $('sharing-types').tBodies[0].replaceChildren(
      ...state.meta.types.map((t) => {
        const shared = view.types.includes(t);
        return row(`type-row-${t}`, [
          ['Type', t],
          ['Status', shared ? 'shared' : 'not shared', { testid: `type-status-${t}` }],
          ['', shareButtons('type', t, !shared, shared, { types: [t] })],
        ]);
      }),
    );
    const others = state.participants.filter((p) => p.siteId !== view.siteId);
    $('sharing-sites').tBodies[0].replaceChildren(
      ...others.map((p) => {
        const individual = view.sites.includes(p.siteId);
        const viaType = view.types.includes(p.type);
        const status = individual ? 'shared' : viaType ? 'shared via type' : 'not shared';
        return row(`site-row-${p.siteId}`, [
          ['Site', String(p.siteId)],
          ['Name', p.name],
          ['Type', p.type],
          ['Status', status, { testid: `site-status-${p.siteId}` }],
          ['', shareButtons('site', p.siteId, !individual && !viaType, individual, { sites: [p.siteId] })],
        ]);
      }),
    );
    $('allowed-sites').textContent = view.allowedSites.length ? view.allowedSites.join(', ') : 'none';
  }

  // --- New participants and their one-time credentials ------------------------------------------------

  function renderRoleChoices() {
    $('new-participant-type').replaceChildren(...state.meta.types.map((t) => el('option', { value: t, textContent: t })));
    $('role-select').replaceChildren(...state.meta.roles.map((r) => el('option', { value: r.name, textContent: r.name, selected: r.name === 'MAPPER' })));
    $('new-participant-roles').replaceChildren(
      el('legend', { textContent: 'Roles (at least one)' }),
      ...state.meta.roles.map((r) =>
        el('label', { className: 'inline', title: r.description }, [el('input', { type: 'checkbox', value: r.name, testid: `new-participant-role-${r.name}` }), ` ${r.name}`]),
      ),
      el('p', { className: 'hint', textContent: state.meta.roles.map((r) => `${r.name}: ${r.description}`).join('. ') + '.' }),
    );
  }

  /** The form's problems, each naming its field; empty when it can be sent. */
  function formProblems(input) {
    const problems = [];
    if (!input.name) problems.push(['new-participant-name', 'Give the participant a name.']);
    if (input.roles.length === 0) problems.push([null, 'Choose at least one role.']);
    const bad = input.domains.filter((d) => !HOST_NAME.test(d.toLowerCase()));
    if (bad.length) problems.push(['new-participant-domains', `Not a host name: ${bad.join(', ')} (like shop.example or localhost; no scheme, port or path).`]);
    return problems;
  }

  async function copy(text, button, shown) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard API (an insecure origin): select the text so Ctrl-C copies it.
      const range = document.createRange();
      range.selectNodeContents(shown);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = 'Selected: press Ctrl-C';
      return;
    }
    button.textContent = 'Copied';
    setTimeout(() => (button.textContent = 'Copy'), 1500);
  }

  function sdkSnippet(roles) {
    const lines = [
      `import { ${[...new Set(roles.flatMap((r) => SDK_IMPORTS[r] || []))].join(', ') || 'postEnveloped'} } from '@uid2-pixels/uid2';`,
      '',
      'const credentials = {',
      `  baseUrl: '${location.origin}',`,
      '  apiKey: process.env.UID2_API_KEY,  // the API key above',
      '  secret: process.env.UID2_SECRET,   // the secret above',
      '};',
    ];
    for (const role of roles) if (SDK_CALL[role]) lines.push('', ...SDK_CALL[role]);
    return lines.join('\n');
  }

  // One short example per role, from packages/uid2/README.md.
  const SDK_IMPORTS = {
    GENERATOR: ['PublisherClient'],
    SHARER: ['SharingClient'],
    ID_READER: ['BidstreamClient'],
    MAPPER: ['IdentityMapV3Client', 'IdentityMapV3Input'],
    OPTOUT: ['postEnveloped'],
  };
  const SDK_CALL = {
    GENERATOR: ['// GENERATOR: a token for a signed-in user', 'const publisher = new PublisherClient(credentials);', 'const generated = await publisher.generateToken({ email: \'user@example.com\' });'],
    SHARER: ['// SHARER: encrypt raw UID2s for the participants you share with, decrypt what they share with you', 'const sharing = new SharingClient(credentials);', 'await sharing.start();', 'const { token } = sharing.encrypt(rawUid2);'],
    ID_READER: ['// ID_READER: decrypt the tokens in bid requests', 'const bidstream = new BidstreamClient(credentials);', 'await bidstream.start();', 'const result = bidstream.decrypt(bidToken, \'publisher.example\');'],
    MAPPER: [
      '// MAPPER: emails and phones to raw UID2s',
      'const mapper = new IdentityMapV3Client(credentials);',
      'const mapped = await mapper.generateIdentityMap(IdentityMapV3Input.fromEmails([\'user@example.com\']));',
    ],
    OPTOUT: ['// OPTOUT: opt a user out', 'await postEnveloped(credentials, \'/v2/token/logout\', { email: \'user@example.com\' });'],
  };

  function pixelSnippet(c) {
    return [
      '<script>',
      '  window.uid2pixel = window.uid2pixel || [];',
      '  uid2pixel.push([\'init\', {',
      `    operatorUrl: '${location.origin}',`,
      `    serverPublicKey: '${c.publicKey}',`,
      `    subscriptionId: '${c.subscriptionId}',`,
      '  }]);',
      '</script>',
      '<script async src="/uid2-pixel.iife.js"></script>',
    ].join('\n');
  }

  function showCredentials(participant, c) {
    $('credentials-title').textContent = `Credentials of ${participant.siteId} ${participant.name}`;
    const fields = [
      ['apiKey', 'API key (UID2_API_KEY)', c.apiKey],
      ['secret', 'Secret (UID2_SECRET)', c.secret],
      ['subscriptionId', 'Subscription id (browser)', c.subscriptionId],
      ['publicKey', 'Server public key (browser)', c.publicKey],
    ];
    $('credentials-list').replaceChildren(
      ...fields.map(([id, label, value]) => {
        const button = el('button', { className: 'small quiet', testid: `copy-${id}`, textContent: 'Copy' });
        const shown = el('code', { testid: `credential-${id}`, textContent: value });
        button.addEventListener('click', () => copy(value, button, shown));
        return el('div', { className: 'cred' }, [el('span', { className: 'name', textContent: label }), shown, button]);
      }),
    );
    $('snippet-sdk').textContent = sdkSnippet(participant.roles);
    $('snippet-pixel').textContent = pixelSnippet(c);
    $('new-participant-credentials').hidden = false;
  }

  for (const which of ['sdk', 'pixel']) {
    const button = $(`copy-snippet-${which}`);
    button.addEventListener('click', () => copy($(`snippet-${which}`).textContent, button, $(`snippet-${which}`)));
  }
  $('credentials-done').addEventListener('click', () => {
    $('new-participant-credentials').hidden = true;
    $('credentials-list').replaceChildren();
  });

  $('new-participant-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const input = {
      name: $('new-participant-name').value.trim(),
      type: $('new-participant-type').value,
      roles: state.meta.roles.map((r) => r.name).filter((r) => $(`new-participant-role-${r}`).checked),
      domains: $('new-participant-domains').value.split(',').map((d) => d.trim()).filter(Boolean),
    };
    const error = $('new-participant-error');
    const problems = formProblems(input);
    for (const id of ['new-participant-name', 'new-participant-domains']) $(id).setAttribute('aria-invalid', String(problems.some(([f]) => f === id)));
    error.textContent = problems.map(([, text]) => text).join(' ');
    if (problems.length) return;
    const submit = $('new-participant-submit');
    submit.disabled = true; // one click, one participant
    try {
      const out = await api('POST', '/participants', input);
      form.reset();
      showCredentials(out.participant, out.credentials);
      message(`Added participant ${out.participant.siteId} ${out.participant.name}. Its credentials are beside the form, once.`);
      await loadAll();
    } catch (e) {
      failed(e, (text) => (error.textContent = text));
    } finally {
      submit.disabled = false;
    }
  });

  // --- Opt-outs, keys, audit trail -------------------------------------------------------------------

  async function loadOptouts() {
    const out = await api('GET', '/optouts');
    $('optout-count').textContent = String(out.count);
    const t = out.testIdentities;
    $('optout-explain').textContent =
      `This count includes ${t.always.length} test identities every UID2 operator treats as opted out: ${t.always.join(' and ')}. ` +
      `Two more are test cases too: ${t.onRefresh.join(' and ')} get a token but are opted out at its first refresh; ` +
      `${t.never.join(' and ')} are never opted out.`;
  }

  $('optout-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = $('optout-input').value.trim();
    const result = $('optout-result');
    result.classList.remove('error');
    if (!value) {
      result.textContent = 'Enter an email, or a phone number as + and 10–15 digits.';
      result.classList.add('error');
      return;
    }
    try {
      const out = await api('POST', '/optouts', value.startsWith('+') ? { phone: value } : { email: value });
      result.textContent = out.added ? 'Opted out' : `Already opted out (since ${localTime(out.opted_out_since)}): nothing changed`;
      $('optout-input').value = '';
      await Promise.all([loadOptouts(), loadAudit()]);
    } catch (e) {
      failed(e, (text) => {
        result.textContent = text;
        result.classList.add('error');
      });
    }
  });

  function keysetOwner(ks) {
    if (ks.kind === 'master') return 'Master keyset (the operator’s): outer layer of every advertising token';
    if (ks.kind === 'refresh') return 'Refresh keyset (the operator’s): refresh tokens';
    return `Site ${siteLabel(ks.siteId)}`;
  }

  const BADGE = { active: 'active', upcoming: 'pending', previous: 'expired' };

  async function loadKeysets() {
    const keysets = await api('GET', '/keysets');
    $('keysets-table').tBodies[0].replaceChildren(
      ...keysets.map((ks) =>
        row(`keyset-row-${ks.keysetId}`, [
          ['Keyset', ks.kind === 'site' ? String(ks.keysetId) : `${ks.keysetId} (${ks.kind})`],
          ['Owner', keysetOwner(ks)],
          [
            'Keys',
            el(
              'div',
              {},
              ks.keys.map((k) =>
                el('div', { testid: `key-${k.id}` }, [
                  `${k.id} `,
                  el('span', { className: `badge ${BADGE[k.state]}`, textContent: k.state }),
                  ` ${localTime(k.activates)} → ${localTime(k.expires)}`,
                ]),
              ),
            ),
          ],
        ]),
      ),
    );
  }

  $('rotate-keys').addEventListener('click', async () => {
    try {
      const out = await api('POST', '/keys/rotate', { activateNow: $('rotate-activate-now').checked });
      $('rotate-result').textContent = `Added keys ${out.added.map((k) => k.id).join(', ')}`;
      await Promise.all([loadKeysets(), loadAudit()]);
    } catch (e) {
      failed(e, (text) => ($('rotate-result').textContent = text));
    }
  });

  async function loadAudit() {
    const entries = await api('GET', '/audit?limit=200');
    $('audit-table').tBodies[0].replaceChildren(
      ...entries.map((e) =>
        row(
          'audit-row',
          [
            ['When', localTime(e.time), { title: new Date(e.time).toISOString() }],
            ['By', e.user],
            ['What', e.sentence],
          ],
          e.succeeded ? '' : 'failed',
        ),
      ),
    );
  }

  // --- Roles of existing participants, salt buckets ------------------------------------------------

  async function loadSalts() {
    const salts = await api('GET', '/salts');
    $('salt-summary').textContent = `${salts.buckets} buckets, ${salts.rotatedLast90Days} rotated in the last 90 days`;
  }

  $('role-grant').addEventListener('click', async () => {
    const role = $('role-select').value;
    const current = state.participants.find((p) => p.siteId === state.sender);
    if (!current) return;
    try {
      await api('PATCH', `/participants/${current.siteId}`, { roles: [...new Set([...current.roles, role])] });
      $('role-result').textContent = `${current.name} has ${role}`;
      await Promise.all([loadParticipants(), loadAudit()]);
    } catch (e) {
      failed(e, (text) => ($('role-result').textContent = text));
    }
  });

  $('salt-rotate').addEventListener('click', async () => {
    try {
      const out = await api('POST', '/salts/rotate', { fraction: Number($('salt-rotate-share').value) / 100 });
      $('salt-rotate-result').textContent = `Rotated ${out.rotated} buckets`;
      await Promise.all([loadSalts(), loadAudit()]);
    } catch (e) {
      failed(e, (text) => ($('salt-rotate-result').textContent = text));
    }
  });

  $('audit-refresh').addEventListener('click', () => loadAudit().catch(failed));

  $('participant-select').addEventListener('change', (ev) => {
    state.sender = Number(ev.target.value);
    loadSharing().catch(failed);
  });

  async function loadAll() {
    try {
      await loadParticipants();
      await Promise.all([loadSharing(), loadOptouts(), loadKeysets(), loadSalts(), loadAudit()]);
      document.body.dataset.ready = 'true';
    } catch (e) {
      failed(e);
    }
  }

  // A reload keeps the session (sessionStorage) as long as the operator still accepts the key.
  if (sessionStorage.getItem(KEY_STORAGE)) {
    api('POST', '/session')
      .then(async (session) => {
        if (!session.valid) return signOut('The operator no longer accepts this admin key. Sign in again.');
        state.meta = await api('GET', '/meta');
        renderRoleChoices();
        showSignedIn(true);
        return loadAll();
      })
      .catch((e) => signOut(e.message));
  } else {
    showSignedIn(false);
  }
})();
