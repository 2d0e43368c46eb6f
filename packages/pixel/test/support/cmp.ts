// A CMP stub for the consent tests: window.__tcfapi (TCF v2.2: ping, addEventListener,
// removeEventListener) and window.__gpp (GPP 1.1: ping, addEventListener, removeEventListener) as a
// real CMP on the page exposes them, answering from a state the test sets. TC strings are real TCF v2
// core segments (packages/uid2 encodeTcfString), so the EUID operator can check them.
import { encodeTcfString, EUID_TCF_PURPOSES, EUID_TCF_VENDOR } from '@uid2-pixels/uid2/tcf';

type Listener = (data: unknown, success: boolean) => void;

export interface TcfState {
  /** What the CMP answers: final consent (or refusal), GDPR not applicable, nothing, a throw, nonsense,
   * or 'later': the UI is shown first and the user's choice (`consent`) comes after `laterMs`. */
  mode: 'final' | 'not-applicable' | 'silent' | 'throws' | 'nonsense' | 'later';
  purposes?: number[];
  vendors?: number[];
  /** A TC string that says something else than the purposes/vendors the CMP reports (a lying CMP). */
  tcString?: string;
  laterMs?: number;
}

const w = window as unknown as { __tcfapi?: unknown; __gpp?: unknown };

export const FULL_EUID_CONSENT = { purposes: [...EUID_TCF_PURPOSES], vendors: [EUID_TCF_VENDOR] };

/** Listener ids the TCF stub has registered and not had removed (a check must not leave one behind). */
export const tcfListeners = new Set<number>();

export function installTcf(state: TcfState): void {
  const purposes = state.purposes ?? [];
  const vendors = state.vendors ?? [];
  const tcData = (eventStatus: string, listenerId: number) => ({
    tcString: state.tcString ?? encodeTcfString({ purposes, vendors }),
    tcfPolicyVersion: 4,
    cmpId: 300,
    cmpVersion: 1,
    gdprApplies: true,
    eventStatus,
    cmpStatus: 'loaded',
    listenerId,
    purpose: { consents: Object.fromEntries(purposes.map((p) => [p, true])), legitimateInterests: {} },
    vendor: { consents: Object.fromEntries(vendors.map((v) => [v, true])), legitimateInterests: {} },
  });
  let nextId = 1;
  tcfListeners.clear();
  w.__tcfapi = (command: string, version: number, callback: Listener, parameter?: unknown) => {
    if (state.mode === 'throws') throw new Error('CMP bug');
    if (state.mode === 'silent' || version !== 2) return;
    if (command === 'ping') return callback({ gdprApplies: state.mode !== 'not-applicable', cmpLoaded: true, cmpStatus: 'loaded' }, true);
    if (command === 'removeEventListener') return callback(tcfListeners.delete(parameter as number), true);
    if (command !== 'addEventListener') return callback(null, false);
    const id = nextId++;
    tcfListeners.add(id);
    if (state.mode === 'nonsense') return callback('yes please' as unknown, true);
    if (state.mode === 'not-applicable') return callback({ gdprApplies: false, eventStatus: 'tcloaded', listenerId: id }, true);
    if (state.mode === 'later') {
      callback(tcData('cmpuishown', id), true);
      setTimeout(() => callback(tcData('useractioncomplete', id), true), state.laterMs ?? 200);
      return;
    }
    callback(tcData('tcloaded', id), true);
  };
}

/** A GPP CMP whose usnat section says whether the user opted out of sale/sharing/targeted ads; or silent. */
export function installGpp(state: { optOut?: boolean; silent?: boolean }): void {
  const usnat = { Version: 1, SaleOptOut: state.optOut ? 1 : 2, SharingOptOut: state.optOut ? 1 : 2, TargetedAdvertisingOptOut: state.optOut ? 1 : 2 };
  const pingData = {
    gppVersion: '1.1',
    cmpStatus: 'loaded',
    cmpDisplayStatus: 'hidden',
    signalStatus: 'ready',
    supportedAPIs: ['7:usnat'],
    cmpId: 300,
    sectionList: [7],
    applicableSections: [7],
    gppString: 'DBABLA~BVQqAAAAAgA.QA',
    parsedSections: { usnat: [usnat] },
  };
  w.__gpp = (command: string, callback: Listener) => {
    if (state.silent) return;
    if (command === 'ping') return callback(pingData, true);
    if (command === 'addEventListener') return callback({ eventName: 'listenerRegistered', listenerId: 1, data: true, pingData }, true);
    if (command === 'removeEventListener') return callback(true, true);
    callback(null, false);
  };
}

export function removeCmps(): void {
  delete w.__tcfapi;
  delete w.__gpp;
  removeLocators?.();
}

let removeLocators: (() => void) | undefined;

/**
 * Makes this window's CMP reachable from frames inside it, as a real CMP does: the `__tcfapiLocator`
 * and `__gppLocator` frames, and a message handler that answers `__tcfapiCall` / `__gppCall` (object or
 * JSON string) from the stub above, posting `__tcfapiReturn` / `__gppReturn` back to the caller.
 */
export function installLocators(): void {
  const frames = ['__tcfapiLocator', '__gppLocator'].map((name) => {
    const f = document.createElement('iframe');
    f.name = name;
    f.style.display = 'none';
    document.body.append(f);
    return f;
  });
  const onMessage = (e: MessageEvent) => {
    const data = typeof e.data === 'string' ? JSON.parse(e.data) : e.data;
    for (const name of ['__tcfapi', '__gpp'] as const) {
      const call = data?.[`${name}Call`];
      if (!call) continue;
      const reply = (returnValue: unknown, success: boolean) =>
        (e.source as Window).postMessage({ [`${name}Return`]: { returnValue, success, callId: call.callId } }, '*');
      const api = w[name] as ((...a: unknown[]) => void) | undefined;
      if (name === '__tcfapi') api?.(call.command, call.version, reply, call.parameter);
      else api?.(call.command, reply, call.parameter, call.version);
    }
  };
  addEventListener('message', onMessage);
  removeLocators = () => {
    removeEventListener('message', onMessage);
    for (const f of frames) f.remove();
    removeLocators = undefined;
  };
}
