// The <script> entry: a global `uid2pixel` with a command queue. Calls pushed before the script loaded
// run when it does, in order; after that, push runs a command at once.
//   window.uid2pixel = window.uid2pixel || [];
//   uid2pixel.push(['init', {...}], ['setEmail', email], ['track', url, params], (api) => ...);
import { api as functions } from './api.ts';

const api = Object.assign(functions, { push: (...commands: Command[]) => commands.forEach(run) });
export type Api = typeof api;
type Command = ((a: Api) => unknown) | [keyof Api, ...unknown[]];

const run = (c: Command): void => {
  try {
    typeof c == 'function' ? c(api) : (api[c[0]] as (...a: unknown[]) => unknown)(...c.slice(1));
  } catch {
    // A bad command (unknown name, throwing callback) must not stop the page or the rest of the queue.
  }
};

const w = window as unknown as { uid2pixel?: unknown };
const queued = w.uid2pixel;
w.uid2pixel = api;
if (Array.isArray(queued)) queued.forEach(run);
// Declarative pixels: after the queue, so an init/setEmail pushed earlier is already under way. Scanned
// now and again once the document is parsed (a pixel is processed once, so the second pass adds only
// images parsed since; if the event has passed already, the first pass saw everything).
api.scan();
addEventListener('DOMContentLoaded', () => api.scan());
