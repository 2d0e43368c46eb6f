// Inside this repository, workspace packages resolve to their TypeScript sources through the
// "@uid2-pixels/source" export condition (see packages/uid2/package.json), so nothing needs building
// before a test or `npm start`. Node gets it from .npmrc (node-options), TypeScript from tsconfig.json
// (customConditions), and Vite and Vitest from this fragment, spread into each config.
import { defaultClientConditions, defaultServerConditions } from 'vite';

export const SOURCE_CONDITION = '@uid2-pixels/source';

export const sourceConditions = {
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions], externalConditions: [SOURCE_CONDITION] } },
};
