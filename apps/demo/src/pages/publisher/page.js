// The Daily Planet's page. A signed-in reader gets the publisher's UID2 token client-side; the page then
// asks the DSP for an ad the way a header-bidding call would: an OpenRTB bid request with the token in
// user.ext.eids. The DSP's creative comes back as markup and is rendered in a sandboxed frame, where its
// impression pixel fires with a sharing token the DSP made (the bid-stream token never goes in a pixel).
(() => {
  const config = JSON.parse(document.getElementById('demo-config').textContent);
  const form = document.querySelector('[data-testid=signin-form]');
  const emailInput = document.querySelector('[data-testid=email]');
  const button = document.querySelector('[data-testid=sign-in]');
  const status = document.querySelector('[data-testid=ad-status]');
  const slot = document.querySelector('[data-testid=ad-slot]');
  const signedIn = document.querySelector('[data-testid=signed-in]');
  const signedInAs = document.querySelector('[data-testid=signed-in-as]');
  const title = document.querySelector('[data-testid=account-title]');
  const next = document.querySelector('[data-testid=next-step]');
  const nextLink = next.querySelector('a');
  document.querySelector('[data-testid=origin]').textContent = location.origin;

  const nextStep = (href, text) => {
    nextLink.href = href;
    nextLink.textContent = text;
    next.hidden = false;
  };

  const signedInWho = document.querySelector('[data-testid=signed-in-who]');
  const signedInKept = document.querySelector('[data-testid=signed-in-kept]');

  // Signed in: the form gives way to who is signed in and a way out. After a reload the page knows
  // only that the snippet holds an identity (email null): it never stores the email itself.
  const showSignedIn = (email) => {
    form.hidden = true;
    signedIn.hidden = false;
    title.textContent = 'Your account';
    signedInWho.hidden = email === null;
    signedInKept.hidden = email !== null;
    signedInAs.textContent = email || '';
  };

  const show = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  window.uid2pixel = window.uid2pixel || [];
  window.uid2pixel.push([
    'init',
    { operatorUrl: config.operatorUrl, serverPublicKey: config.serverPublicKey, subscriptionId: config.subscriptionId },
  ]);

  const bidRequest = (token) => ({
    id: 'req-' + Math.floor(Math.random() * 1e9).toString(36),
    imp: [{ id: '1', banner: { w: 300, h: 250 }, tagid: 'sidebar' }],
    site: { domain: location.hostname, page: location.origin + location.pathname },
    user: { ext: { eids: [{ source: 'uidapi.com', uids: [{ id: token, atype: 3 }] }] } },
  });

  async function requestAd(token) {
    show('working', 'Asking the DSP for an ad…');
    const response = await fetch(`${config.dspUrl}/bid`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(bidRequest(token)),
    });
    if (response.status === 204) {
      show('no-bid', 'No ad: the DSP did not bid. Bidwell shows Acme Shop\u2019s ad only to readers who bought there.');
      nextStep(config.shopUrl, 'Place an order at Acme Shop with this email, then come back →');
      return;
    }
    if (!response.ok) throw new Error(`bid failed: HTTP ${response.status}`);
    const answer = await response.json();
    const bid = answer.seatbid && answer.seatbid[0] && answer.seatbid[0].bid[0];
    if (!bid) {
      show('no-bid', 'The DSP did not bid.');
      return;
    }
    const frame = document.createElement('iframe');
    // No scripts (no allow-scripts): the creative can only show its banner and load its pixel. Without
    // scripts, allow-same-origin grants the markup nothing, and it keeps the frame in the page's process,
    // where DevTools (and the e2e privacy check) see its requests; an opaque-origin frame's are hidden.
    frame.setAttribute('sandbox', 'allow-same-origin allow-popups allow-popups-to-escape-sandbox');
    frame.setAttribute('title', 'Advertisement');
    frame.setAttribute('data-testid', 'ad-frame');
    frame.width = '300';
    frame.height = '250';
    frame.srcdoc = bid.adm;
    slot.replaceChildren(frame);
    show('rendered', 'Ad from the DSP shown; its impression pixel went to the measurement partner.');
    nextStep(`${config.collectorUrl}/status`, 'Next: see both segments on the collector\u2019s status page →');
  }

  // A reader who signed in before (this visit or an earlier one) is still signed in: the snippet kept
  // the UID2 identity (or the opt-out answer) and refreshes it when due.
  let signingIn = false;
  window.uid2pixel.push(async (api) => {
    try {
      const token = await api.getToken();
      if (signingIn) return; // the reader submitted the form meanwhile: that sign-in wins
      if (token) {
        showSignedIn(null);
        await requestAd(token);
      } else if (api.hasOptedOut()) {
        showSignedIn(null);
        show('no-token', 'Signed in. You have opted out of UID2: no token is shared.');
      }
    } catch {
      show('error', 'Could not load an ad.');
    }
  });

  async function signIn(email) {
    window.uid2pixel.push(async (api) => {
      try {
        const token = await api.setEmail(email);
        showSignedIn(email);
        if (!token) {
          show('no-token', api.hasOptedOut() ? 'Signed in. You have opted out of UID2: no token is shared.' : 'Signed in, but no UID2 token could be generated.');
          return;
        }
        await requestAd(token);
      } catch {
        show('error', 'Could not load an ad.');
      } finally {
        button.disabled = false;
      }
    });
  }

  document.querySelector('[data-testid=sign-out]').addEventListener('click', () => {
    // A logout: the snippet forgets the identity (storage and cookie) and stops refreshing it.
    window.uid2pixel.push((api) => api.disconnect());
    signingIn = false;
    form.hidden = false;
    signedIn.hidden = true;
    next.hidden = true;
    title.textContent = 'Sign in';
    emailInput.value = '';
    button.disabled = false;
    slot.replaceChildren('Ad slot (300\u00d7250)');
    show('idle', 'Signed out. Signed-in readers get a UID2 token, which travels to advertisers only inside bid requests.');
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const email = emailInput.value.trim();
    if (!email || !emailInput.checkValidity()) {
      show('error', 'Please enter a valid email address.');
      return;
    }
    button.disabled = true;
    signingIn = true;
    void signIn(email);
  });
})();
