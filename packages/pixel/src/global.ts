// The <script> entry. It answers to the official SDK's globals, so a page written for the official SDK
// works unchanged: `__uid2` (also `uid2pixel`, with a command queue) and `__euid`, with the helpers
// `__uid2Helper` / `__euidHelper`. Event handlers queued on a `{callbacks: [...]}` stub get SdkLoaded
// when the script loads; commands pushed on `uid2pixel` before the script loaded run when it does, in
// order, and at once afterwards. A client nobody initialised on load initialises itself from the config
// the last page's init stored, as the official SDK does.
//   window.uid2pixel = window.uid2pixel || [];
//   uid2pixel.push(['init', {...}], ['setEmail', email], ['track', url, params], (api) => ...);
import { isNormalizedPhone, normalizeEmail } from '@uid2-pixels/uid2/dii/normalize';
import { toB64 } from './b64.ts';
import { digest } from './hash.ts';
import { createSdk } from './sdk.ts';
import { loadConfig } from './store.ts';

const api = Object.assign(createSdk(), { push: (...commands: Command[]) => commands.forEach(run) });
export type Api = typeof api;
type Command = ((a: Api) => unknown) | [keyof Api, ...unknown[]];

const run = (c: Command): void => {
  try {
    typeof c == 'function' ? c(api) : (api[c[0]] as (...a: unknown[]) => unknown)(...c.slice(1));
  } catch {
    // A bad command (unknown name, throwing callback) must not stop the page or the rest of the queue.
  }
};

/** The official SDK's `UIDHelper`: hashes as hex (hashIdentifier) or base64 (hashAndEncodeIdentifier). */
const helper = {
  normalizeEmail,
  isNormalizedPhone,
  hashIdentifier: async (v: string) => Array.from(await digest(v), (b) => (b + 256).toString(16).slice(1)).join(''),
  hashAndEncodeIdentifier: async (v: string) => toB64(await digest(v)),
};

const w = window as any;
/**
 * Takes over a global unless a real SDK already holds it; picks up its queued commands and handlers.
 * The official globals (`euid` given) also get their helper and the self-bootstrap.
 */
const install = (name: string, sdk: ReturnType<typeof createSdk>, euid?: boolean): void => {
  const q = w[name];
  if (q?.init) return;
  w[name] = sdk;
  if (Array.isArray(q)) q.forEach(run);
  try {
    sdk.callbacks.push(...q.callbacks);
  } catch {
    // no stub, or a stub whose callbacks are not a list
  }
  if (euid != null) {
    w[name + 'Helper'] = helper;
    // Nobody called init while SdkLoaded ran: the config an earlier page stored starts the client.
    const config = loadConfig(euid);
    if (config && !sdk.isInitComplete()) sdk.init(config);
  }
};
install('uid2pixel', api);
install('__uid2', api, false);
if (!__LITE__) install('__euid', createSdk(true), true);
// Declarative pixels: after the queue, so an init/setEmail pushed earlier is already under way. Scanned
// now and again once the document is parsed (a pixel is processed once, so the second pass adds only
// images parsed since; if the event has passed already, the first pass saw everything).
api.scan();
addEventListener('DOMContentLoaded', () => api.scan());
