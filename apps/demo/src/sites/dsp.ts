// The DSP's ad server (site 102, Bidwell DSP). It holds two key rings from the operator: bidstream keys
// to read publishers' advertising tokens, and its own sharing keys to make tokens for creative pixels.
// POST /bid answers a bid request with creative markup whose impression pixel points at the collector.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { BidstreamClient, SharingClient } from '@uid2-pixels/uid2';
import type { DemoConfig } from '../config.ts';
import { DemoError } from '../errors.ts';
import { createSiteApp, serveStatic } from '../http.ts';
import type { Logger } from '../log.ts';
import { parseBidRequest } from '../dsp/bid-request.ts';
import { decideBid, type AdServerDeps } from '../dsp/ad-server.ts';
import { Audience } from '../dsp/audience.ts';
import { dspLandingHtml } from './dsp-landing.ts';

/** A transparent 1x1 GIF: the answer to every retargeting pixel. */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** Where the DSP's impression pixel goes: the measurement partner's collector, impression segment. */
export function impressionPixelTemplate(collectorUrl: string): string {
  return `${collectorUrl}/pixel/impression?uid2_token=%%UID2_TOKEN%%`;
}

export interface DspSite {
  app: Express;
  bidstream: BidstreamClient;
  sharing: SharingClient;
  /** Fetches keys now and keeps them fresh. Resolves when both rings are loaded; never rejects. */
  start(): Promise<void>;
  stop(): void;
}

export function createDspSite(config: DemoConfig, log: Logger): DspSite {
  const credentials = {
    baseUrl: config.operatorServerUrl,
    apiKey: config.dsp.apiKey,
    secret: config.dsp.secret,
    refreshIntervalMs: config.keyRefreshMs,
    logger: log,
  };
  const bidstream = new BidstreamClient(credentials);
  const sharing = new SharingClient(credentials);

  // The creative's banner and stylesheet load inside publisher pages: they must be embeddable.
  const app = createSiteApp('dsp', { connect: [], img: [], embeddable: true }, log);
  serveStatic(app, 'dsp');
  const audience = new Audience();
  const deps: AdServerDeps = {
    bidstream,
    audience,
    sharing,
    pixelTemplate: impressionPixelTemplate(config.urls.collector),
    creative: {
      bannerUrl: `${config.urls.dsp}/static/banner.svg`,
      stylesheetUrl: `${config.urls.dsp}/static/creative.css`,
      clickUrl: config.urls.shop,
      alt: 'Acme Shop: Trail Runner 2, now $89',
    },
    price: 2.5,
  };

  // Bid requests come from publisher pages on other origins: a CORS endpoint, as ad servers are.
  const cors = (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    if (origin) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'POST');
      res.set('Access-Control-Allow-Headers', 'Content-Type');
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
  app.options('/bid', cors);
  app.post('/bid', cors, express.json({ limit: '16kb' }), (req, res) => {
    let outcome;
    try {
      outcome = decideBid(parseBidRequest(req.body), deps);
    } catch (error) {
      if (error instanceof DemoError) {
        res.status(400).json({ error: error.code, message: error.message });
        return;
      }
      throw error;
    }
    if (outcome.kind === 'no-bid') {
      log.debug({ reason: outcome.reason }, 'no bid');
      res.status(204).end();
      return;
    }
    if (outcome.pixel === 'attached') log.debug({ impressionPixel: 'attached' }, 'bid');
    else log.warn({ impressionPixel: 'not-attached', reason: outcome.reason }, 'bid without impression pixel');
    res.json(outcome.response);
  });
  // Acme's checkout fires this with the shopper's UID2 token (Acme shares with us in the portal): the
  // reader joins the campaign's audience. Answered the same whatever the token, like any pixel.
  app.get('/pixel/retarget', (req, res) => {
    const token = typeof req.query.uid2_token === 'string' ? req.query.uid2_token : null;
    const decrypted = token === null ? null : sharing.decrypt(token);
    const joined = decrypted?.status === 'Success' && decrypted.uid !== null && decrypted.siteId === config.shop.siteId;
    if (joined) audience.add(decrypted.uid!);
    log.debug({ audience: joined ? 'joined' : 'ignored', reason: joined ? undefined : (decrypted?.status ?? 'no-token') }, 'retargeting pixel');
    res.set('Cache-Control', 'no-store').type('image/gif').send(GIF);
  });
  app.get('/', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(dspLandingHtml(config, {
      bidstreamKeys: bidstream.isReady,
      sharingKeys: sharing.isReady,
      audience: audience.size,
    }));
  });
  // Malformed JSON and other body errors: a clear 400, never a stack trace.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'BAD_BID_REQUEST', message: 'the request body is not a valid bid request' });
      return;
    }
    log.error({ err: error }, 'bid failed');
    res.status(500).json({ error: 'INTERNAL', message: 'the ad server failed' });
  });

  return {
    app,
    bidstream,
    sharing,
    async start() {
      const results = await Promise.allSettled([bidstream.start(), sharing.start()]);
      for (const [name, result] of [['bidstream', results[0]], ['sharing', results[1]]] as const) {
        if (result?.status === 'rejected') {
          // The clients keep retrying in the background; until then the DSP answers "no bid".
          log.warn({ keys: name, err: (result.reason as Error).message }, 'key sync failed; retrying in the background');
        }
      }
    },
    stop() {
      bidstream.stop();
      sharing.stop();
    },
  };
}
