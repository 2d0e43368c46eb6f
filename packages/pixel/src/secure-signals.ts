// Google Secure Signals, as a separate small script (the official SDK ships it separately too): it
// registers this page's UID2 token (or EUID token, in the EUID build) with Google Publisher Tag's
// `googletag.secureSignalProviders`, under Google's provider id for the product (`uidapi.com`,
// `euid.eu`). GPT calls the collector when it needs the signal; the collector asks the page's own
// `getUid2AdvertisingToken()` (`getEuidAdvertisingToken()`) if the page defines one, as with the official
// script, else our global (`__uid2` / `__euid`, from uid2-pixel.iife.js), waiting for its init. Either
// may load first: a call that fails (no client yet) is retried, three attempts in all, as the official
// collector does. No token: the collector rejects and GPT sends no signal.
//   <script async src="/uid2-pixel.iife.js"></script>
//   <script async src="/uid2-secure-signals.iife.js"></script>   (or euid-secure-signals.iife.js)
declare const __EUID__: boolean;

const w = window as any;
const [id, global, hook] = __EUID__ ? ['euid.eu', '__euid', 'getEuidAdvertisingToken'] : ['uidapi.com', '__uid2', 'getUid2AdvertisingToken'];

/** The token, from the page's hook or our client; three attempts, a second apart. */
const collectorFunction = async (): Promise<string> => {
  for (let attempt = 1; ; attempt++) {
    try {
      const token = await (w[hook] ? w[hook]() : w[global].getAdvertisingTokenAsync());
      if (token) return token;
      throw Error('no token');
    } catch (e) {
      if (attempt == 3) throw e;
      await new Promise((r) => setTimeout(r, 1e3));
    }
  }
};

const gt = (w.googletag ||= { cmd: [] });
(gt.secureSignalProviders ||= []).push({ id, collectorFunction });
