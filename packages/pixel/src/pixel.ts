// Tracking pixels (a conversion URL plus the page's token) and creative pixels (an impression URL
// template whose macro the DSP filled server-side, or that the creative lets us fill from the page).
import type { Options } from './types.ts';

/** Query parameters of a tracking pixel; null and undefined values are left out. */
export type Params = Record<string, string | number | boolean | null | undefined>;

/**
 * The token macros of a creative pixel template: `${UID2_TOKEN}` and `%%UID2_TOKEN%%`, the same set
 * packages/uid2 fills server-side (UID2_TOKEN_MACROS; a test holds the two together). Each becomes the
 * URL-encoded token, or nothing.
 */
const MACRO = /\$\{UID2_TOKEN\}|%%UID2_TOKEN%%/g;

/** Appends URL-encoded query parameters, keeping the URL's own query and fragment as written. */
export function addParams(url: string, params: Params = {}): string {
  const u = new URL(url, location.href);
  for (const k in params) {
    const v = params[k];
    if (v != null) u.search += (u.search ? '&' : '') + encodeURIComponent(k) + '=' + encodeURIComponent(v);
  }
  return u.href;
}

/** Replaces the token macros; the token is URL-encoded (older tokens carry `+`, `/`, `=`). */
export const fillMacro = (template: string, token = ''): string => template.replace(MACRO, encodeURIComponent(token));

const fire = (url: string | undefined, beacon?: boolean): boolean => {
  if (url && !(beacon && navigator.sendBeacon(url))) new Image().src = url;
  return !!url;
};

/** The pixel functions of one client: they take its token (refreshed by its timer) and its options. */
export function pixels(getToken: () => Promise<string | undefined>, o: Options) {
  /** The token, or undefined if none arrives within the configured wait. */
  const tokenSoon = (): Promise<string | undefined> =>
    Promise.race([getToken(), new Promise<undefined>((r) => setTimeout(r, o.wait ?? 1e3))]);

  /** The tracking pixel URL with the token, or undefined when it must not fire (requireToken, no token). */
  const trackingUrl = async (url: string, params?: Params): Promise<string | undefined> => {
    const token = await tokenSoon();
    if (token || !o.requireToken) return addParams(url, { ...params, [o.param || 'uid2_token']: token });
    return undefined;
  };

  /** The creative pixel URL: macros left unfilled get the page's token only when `fill` opts in. */
  const impressionUrl = async (template: string, fill?: boolean): Promise<string> =>
    fillMacro(template, fill && template.match(MACRO) ? await tokenSoon() : '');

  return {
    /** Fires a conversion pixel with the token in its query; resolves to whether it fired. */
    track: async (url: string, params?: Params): Promise<boolean> => fire(await trackingUrl(url, params), o.beacon),
    /** Fires an impression pixel; `fill` lets the page's own token fill a macro the DSP left. */
    impression: async (template: string, fill?: boolean): Promise<boolean> => fire(await impressionUrl(template, fill)),
    /** Replaces `${UID2_TOKEN}` / `%%UID2_TOKEN%%` with the URL-encoded token. */
    fillMacro,
    /**
     * The declarative forms: `<img data-uid2-pixel="URL">` (tracking) and
     * `<img data-uid2-creative="TEMPLATE" [data-uid2-fill]>` (impression). Each image gets its `src` once.
     * Resolves when every image found has its `src` (one promise, so a bad URL cannot leak a rejection).
     */
    scan: (root: ParentNode = document): Promise<unknown> =>
      Promise.all(
        Array.from(root.querySelectorAll<HTMLImageElement>('[data-uid2-pixel],[data-uid2-creative]'), async (img) => {
          const d = img.dataset;
          const pixel = d.uid2Pixel;
          const creative = d.uid2Creative;
          delete d.uid2Pixel;
          delete d.uid2Creative;
          const src = pixel != null ? await trackingUrl(pixel) : await impressionUrl(creative!, 'uid2Fill' in d);
          if (src) img.src = src;
        }),
      ),
  };
}
