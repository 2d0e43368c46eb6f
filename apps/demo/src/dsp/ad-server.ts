// The DSP's bid decision for one request, top to bottom: read the publisher's advertising token from the
// bid request -> decrypt it with the bidstream keys -> bid only for a reader in the campaign's audience
// (Acme's shoppers, see audience.ts) -> encrypt the raw UID2 into a fresh sharing token with
// the DSP's own keys -> answer with creative markup whose impression pixel carries only that token.
// The bidstream token is never put in the pixel, and the raw UID2 never leaves this function.
import { tryCreativePixelUrl, type BidstreamClient, type DecryptionStatus, type SharingClient } from '@uid2-pixels/uid2';
import type { Audience } from './audience.ts';
import type { BidRequest } from './bid-request.ts';
import { escapeHtml } from '../html.ts';

export interface Creative {
  /** Banner image, served by the DSP. */
  bannerUrl: string;
  /** Stylesheet of the creative frame, served by the DSP. */
  stylesheetUrl: string;
  /** Where a click goes: the advertiser. */
  clickUrl: string;
  alt: string;
}

export interface AdServerDeps {
  bidstream: Pick<BidstreamClient, 'decrypt'>;
  /** The campaign's audience: the DSP bids only for readers in it (retargeting). */
  audience: Pick<Audience, 'has'>;
  sharing: SharingClient;
  /** Impression pixel URL at the receiver's collector, with the token macro. */
  pixelTemplate: string;
  creative: Creative;
  /** Price in CPM. */
  price: number;
}

export interface BidResponse {
  id: string;
  cur: 'USD';
  seatbid: Array<{ seat: string; bid: Array<{ id: string; impid: string; price: number; crid: string; adm: string }> }>;
}

/** Why there is no impression pixel (or no bid), for logs and metrics; never the token or the UID2. */
export type Outcome =
  | { kind: 'bid'; response: BidResponse; pixel: 'attached' }
  | { kind: 'bid'; response: BidResponse; pixel: 'not-attached'; reason: string }
  | { kind: 'no-bid'; reason: 'no-token' | 'not-in-audience' | DecryptionStatus };

/** Creative markup: the banner, a click-through, and (when there is one) the 1x1 impression pixel. */
export function creativeMarkup(creative: Creative, pixelUrl: string | null): string {
  const pixel = pixelUrl === null ? '' : `<img class="impression" src="${escapeHtml(pixelUrl)}" width="1" height="1" alt="">`;
  return [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<link rel="stylesheet" href="${escapeHtml(creative.stylesheetUrl)}">`,
    '</head><body>',
    `<a href="${escapeHtml(creative.clickUrl)}" target="_blank" rel="noopener">`,
    `<img class="banner" src="${escapeHtml(creative.bannerUrl)}" width="300" height="250" alt="${escapeHtml(creative.alt)}"></a>`,
    pixel,
    '</body></html>',
  ].join('');
}

export function decideBid(request: BidRequest, deps: AdServerDeps): Outcome {
  if (request.uid2Token === null) return { kind: 'no-bid', reason: 'no-token' };
  // The bid's site domain goes to the domain check as it is: a page below the publisher's listed domain
  // (publisher.localhost under localhost) is the publisher's.
  const decrypted = deps.bidstream.decrypt(request.uid2Token, request.domain);
  if (decrypted.status !== 'Success' || decrypted.uid === null) return { kind: 'no-bid', reason: decrypted.status };
  // A retargeting campaign: only readers who shopped at the advertiser see its ad.
  if (!deps.audience.has(decrypted.uid)) return { kind: 'no-bid', reason: 'not-in-audience' };

  const pixel = tryCreativePixelUrl(deps.pixelTemplate, decrypted.uid, deps.sharing);
  const response = (adm: string): BidResponse => ({
    id: request.id,
    cur: 'USD',
    seatbid: [{ seat: 'bidwell', bid: [{ id: `${request.id}-1`, impid: request.impId, price: deps.price, crid: 'acme-trail-runner', adm }] }],
  });
  if (pixel.status !== 'Success' || pixel.url === null) {
    // The ad still serves; only the measurement is lost. Never fall back to the bidstream token.
    return { kind: 'bid', response: response(creativeMarkup(deps.creative, null)), pixel: 'not-attached', reason: pixel.status };
  }
  return { kind: 'bid', response: response(creativeMarkup(deps.creative, pixel.url)), pixel: 'attached' };
}
