// Inside this repository, workspace packages resolve to their TypeScript sources through the
// "@uid2-pixels/source" export condition (see packages/uid2/package.json), so nothing needs building
// before a test or `npm start`. Node gets it from .npmrc (node-options), TypeScript from tsconfig.json
// (customConditions), and Vite and Vitest from this fragment, spread into each config.
import { defaultClientConditions, type Plugin } from 'vite';

const SOURCE_CONDITION = '@uid2-pixels/source';

// In Node, Vite's default 'module' condition would pick bundler-only builds of dependencies (the AWS SDK's
// dist-es, whose extensionless imports Node cannot load once Vitest externalises them): Node's own
// conditions, and ours, only.
const serverConditions = [SOURCE_CONDITION, 'node', 'development|production'];

/**
 * Environments that the settings below do not reach start without the condition: Vitest's own
 * `__vitest__` environment, which loads a browser project's global setup in Node, is one. Without this a
 * fresh clone (no dist/ yet) cannot resolve workspace packages there.
 */
const everyEnvironment: Plugin = {
  name: 'uid2-pixels:source-condition',
  configEnvironment(_name, config) {
    const conditions = config.resolve?.conditions;
    if (conditions?.includes(SOURCE_CONDITION)) return undefined;
    if (conditions) return { resolve: { conditions: [SOURCE_CONDITION, ...conditions] } };
    return { resolve: { conditions: config.consumer === 'client' ? [SOURCE_CONDITION, ...defaultClientConditions] : serverConditions } };
  },
};

export const sourceConditions = {
  plugins: [everyEnvironment],
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: serverConditions, externalConditions: [SOURCE_CONDITION] } },
};
