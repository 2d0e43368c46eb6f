// Acme Shop checkout. On "Place order" the snippet turns the shopper's email into a UID2 token right here
// in the page (normalised, hashed and encrypted to the operator), then the conversion pixel carries only
// that token to the measurement partner's collector (and the DSP's retargeting pixel to Acme's DSP).
// The email is never sent anywhere in the clear.
(() => {
  const config = JSON.parse(document.getElementById('demo-config').textContent);
  const form = document.querySelector('[data-testid=checkout-form]');
  const emailInput = document.querySelector('[data-testid=email]');
  const button = document.querySelector('[data-testid=place-order]');
  const status = document.querySelector('[data-testid=conversion-status]');
  const next = document.querySelector('[data-testid=next-step]');
  document.querySelector('[data-testid=origin]').textContent = location.origin;
  next.querySelector('a').href = config.publisherUrl;

  // The order is placed once: the button stays disabled and says so, and the story goes on.
  const placed = () => {
    button.textContent = 'Order placed';
    next.hidden = false;
  };

  const show = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  window.uid2pixel = window.uid2pixel || [];
  window.uid2pixel.push([
    'init',
    {
      operatorUrl: config.operatorUrl,
      serverPublicKey: config.serverPublicKey,
      subscriptionId: config.subscriptionId,
      // A conversion without a token measures nothing and must not fire.
      requireToken: true,
    },
  ]);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const email = emailInput.value.trim();
    if (!email || !emailInput.checkValidity()) {
      show('error', 'Please enter a valid email address.');
      return;
    }
    button.disabled = true;
    show('working', 'Placing your order…');
    const orderId = 'A' + Math.floor(Math.random() * 1e9).toString(36).toUpperCase();
    window.uid2pixel.push(async (api) => {
      try {
        const token = await api.setEmail(email);
        if (!token) {
          show(
            'no-token',
            api.hasOptedOut()
              ? `Order ${orderId} placed. You have opted out of UID2, so no token and no conversion pixel.`
              : `Order ${orderId} placed. No UID2 token could be generated, so no conversion pixel.`,
          );
          placed();
          return;
        }
        const fired = await api.track(`${config.collectorUrl}/pixel/conversion`, { order: orderId, value: '89.00', currency: 'USD' });
        // Acme's DSP learns that this shopper bought here: its retargeting pixel, with the same token.
        const retargeted = fired && (await api.track(`${config.dspUrl}/pixel/retarget`));
        show(
          fired ? 'sent' : 'no-token',
          fired
            ? `Order ${orderId} placed. Conversion pixel sent to the measurement partner with a UID2 token${retargeted ? ', and Acme\u2019s DSP told you shop here' : ''}.`
            : `Order ${orderId} placed. The conversion pixel did not fire.`,
        );
        placed();
      } catch {
        show('error', 'Something went wrong placing the order. Please try again.');
        button.disabled = false;
      }
    });
  });
})();
