// A TypeScript consumer of the snippet's ESM build (a site's bundle): type-checked under bundler.
import { init, track, fillMacro, type Options } from '@uid2-pixels/pixel';

const options: Options = { operatorUrl: 'https://prod.uidapi.com', serverPublicKey: 'UID2-X-P-key', subscriptionId: 'sub' };
init(options);
const fired: Promise<boolean> = track('https://dsp.example/conv', { order: 'A-1' });
const url: string = fillMacro('https://dsp.example/imp?t=${UID2_TOKEN}', 'token');
// @ts-expect-error init takes Options, not a string: the types are real
init('https://prod.uidapi.com');
export const used = [fired, url];
