// Public API of the demo: start the three sites (shop, publisher, DSP) in one process, each on its own
// port and so its own origin, and stop them again.
import type { Server } from 'node:http';
import { buildConfig, type ConfigInput, type DemoConfig } from './config.ts';
import { DemoError } from './errors.ts';
import { close, listen } from './http.ts';
import { createLogger, type Logger } from './log.ts';
import { createDspSite } from './sites/dsp.ts';
import { createPublisherApp } from './sites/publisher.ts';
import { createShopApp } from './sites/shop.ts';

export { buildConfig, STORY_SITES, type DemoConfig } from './config.ts';
export { DemoError } from './errors.ts';
export { parseBidRequest, type BidRequest } from './dsp/bid-request.ts';
export { decideBid, creativeMarkup } from './dsp/ad-server.ts';
export { impressionPixelTemplate } from './sites/dsp.ts';

export interface RunningDemo {
  config: DemoConfig;
  /** Bound ports (differ from config.ports when those were 0). */
  ports: { shop: number; publisher: number; dsp: number };
  close(): Promise<void>;
}

export async function startDemo(input: DemoConfig | ConfigInput = {}, logger?: Logger): Promise<RunningDemo> {
  const config = 'ports' in input && typeof input.ports === 'object' ? (input as DemoConfig) : buildConfig(input as ConfigInput);
  const log = logger ?? createLogger('demo');
  const dsp = createDspSite(config, log.child({ site: 'dsp' }));
  // Keys first, so the first bid request finds them; a down operator only delays bids, not the sites.
  await dsp.start();
  const servers: Server[] = [];
  // A taken port names the flag and variable that change it.
  const listenAs = async (site: 'shop' | 'publisher' | 'dsp', app: Parameters<typeof listen>[0]) => {
    const port = config.ports[site];
    try {
      return await listen(app, port, config.listenHost);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      throw new DemoError('PORT_IN_USE', `the ${site} site's port ${port} on ${config.listenHost} is already in use: choose another with --${site}-port <n> or ${site.toUpperCase()}_PORT, or stop what holds it`, { cause: error });
    }
  };
  try {
    const shop = await listenAs('shop', createShopApp(config, log.child({ site: 'shop' })));
    servers.push(shop.server);
    const publisher = await listenAs('publisher', createPublisherApp(config, log.child({ site: 'publisher' })));
    servers.push(publisher.server);
    const dspServer = await listenAs('dsp', dsp.app);
    servers.push(dspServer.server);
    return {
      config,
      ports: { shop: shop.port, publisher: publisher.port, dsp: dspServer.port },
      async close() {
        dsp.stop();
        await Promise.all(servers.map(close));
      },
    };
  } catch (error) {
    dsp.stop();
    await Promise.all(servers.map(close));
    throw error;
  }
}
