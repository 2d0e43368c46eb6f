// Consent, asked of the page's CMP through the IAB APIs before a token is generated or refreshed:
// TCF v2 (`__tcfapi`) for EUID, GPP (`__gpp`) for US opt-outs. The policy (types.ts ConsentPolicy)
// defaults to the regions' rules: EUID requires TCF consent for the purposes and vendor the EUID
// operator checks (and the TC string goes to the operator, which checks it again); UID2 honours a GPP
// US opt-out of sale, sharing or targeted advertising. A CMP that does not answer within `wait` ms
// counts as no TCF consent (GPP: as no opt-out signal); one that throws or answers nonsense, likewise.
// Inside a frame (a creative in an ad iframe) the CMP lives in an ancestor: it is reached through the
// IAB locator protocol, postMessage to the window that holds the `__tcfapiLocator` / `__gppLocator` frame.
import type { ConsentPolicy } from './types.ts';

const EUID_PURPOSES = [1, 2, 3, 4, 7, 10];
const EUID_VENDOR = 21;

/**
 * The CMP's answer once it is final, 0 when it does not answer in time, null when it fails. The
 * listener registered with the CMP is removed once the answer is final (every init and refresh asks
 * again: without the removal a long-lived page would pile up one CMP-side listener per check).
 */
const ask = (api: any, args: unknown[], final: (d: any) => unknown, wait: number): Promise<any> =>
  new Promise((resolve) => {
    setTimeout(resolve, wait, 0);
    try {
      api(...args, (d: any, ok: boolean) => {
        if (!ok) resolve(null);
        else if (final(d)) {
          resolve(d);
          try {
            api('removeEventListener', ...args.slice(1), () => {}, d.listenerId);
          } catch {
            // a CMP that cannot remove it: nothing more to do
          }
        }
      });
    } catch {
      resolve(null);
    }
  });

type Answer = [string, string?];

/**
 * The CMP's API (`__tcfapi` or `__gpp`): the page's own, else a stand-in that posts
 * `{<name>Call: {command, parameter, version, callId}}` to the nearest ancestor holding the
 * `<name>Locator` frame and calls back with its `{<name>Return: {returnValue, success, callId}}`.
 * The stand-in's message listeners go when `signal` aborts (the check is over).
 */
const cmp = (w: any, name: string, signal: AbortSignal): any => {
  if (w[name]) return w[name];
  for (let f = w; ; f = f.parent) {
    try {
      if (f.frames[name + 'Locator'])
        return (command: string, ...a: any[]) => {
          const callback = a.pop();
          const callId = Math.random(); // loose == below: a CMP that answers it as a string matches too
          addEventListener('message', ({ data }) => {
            try {
              const r = (typeof data == 'string' ? JSON.parse(data) : data)[name + 'Return'];
              if (r.callId == callId) callback(r.returnValue, r.success);
            } catch {
              // a message that is not a CMP's answer
            }
          }, { signal });
          f.postMessage({ [name + 'Call']: { command, callId, version: a[0] ?? '1.1' } }, '*');
        };
    } catch {
      // a cross-origin frame refuses the look-up of a name it does not have
    }
    if (f == top) return;
  }
};

/**
 * Why the CMP does not allow a token ('' when it does), and the TC string to send with the request. At
 * once when there is no CMP to ask (so a page without one sees its token right after init); else a promise.
 */
export const consent = (p: ConsentPolicy | undefined, euid: boolean): Answer | Promise<Answer> => {
  // A policy that is not an object (null, a string) has no fields: the defaults apply.
  const w = window as any;
  const c = new AbortController(); // ends the frame locators' listeners once this check is answered or timed out
  const tcf = p?.tcf ?? (euid && 'require');
  const gpp = (p?.gpp ?? !euid) && cmp(w, '__gpp', c.signal);
  const tcfApi = tcf && cmp(w, '__tcfapi', c.signal);
  // Without a TCF CMP to ask: 'no TCF CMP' when the policy requires one, else a yes (as far as TCF goes).
  const noTcf: Answer = [tcf == 'require' ? 'no TCF CMP' : ''];
  return gpp || tcfApi
    ? check(p?.wait ?? 500, gpp, tcfApi, noTcf)
        .catch((): Answer => ['unreadable CMP answer'])
        .finally(() => c.abort())
    : noTcf;
};

async function check(wait: number, gpp: any, tcfApi: any, noTcf: Answer): Promise<Answer> {
  if (gpp) {
    const d = await ask(gpp, ['addEventListener'], (e) => e?.pingData?.signalStatus == 'ready', wait);
    // Any US section (usnat, usca, usva, …) whose sale, sharing or targeted-advertising opt-out is 1 (opted out).
    if (/"(Sale|Sharing|TargetedAdvertising)OptOut":"?1\b/.test(JSON.stringify(d?.pingData?.parsedSections))) return ['GPP US opt-out'];
  }
  if (!tcfApi) return noTcf;
  const d = await ask(tcfApi, ['addEventListener', 2], (d) => d?.gdprApplies === false || /tcloaded|useractioncomplete/.test(d?.eventStatus), wait);
  if (d === 0) return ['TCF CMP did not answer'];
  if (d?.gdprApplies === false) return [''];
  return EUID_PURPOSES.every((n) => d?.purpose?.consents?.[n]) && d.vendor?.consents?.[EUID_VENDOR] && typeof d.tcString == 'string'
    ? ['', d.tcString]
    : ['no TCF consent'];
}
