import type { ConsentPolicy } from './types.ts';
/** Why the page's CMP does not allow a token, or '' when it does (or the policy asks nothing). */
export const consent = async (_p: ConsentPolicy | undefined, _euid: boolean, _log: (m: string) => void): Promise<string> => '';
