// Everything a route needs, built once by startOperator.
import type { Logger } from 'pino';
import type { KeySchedule, TokenLifetimes } from './config.ts';
import type { OptoutPolicy } from './identity/optout.ts';
import type { SaltRotation } from './identity/salt-rotation.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { OperatorStore } from './state/store.ts';
import type { KeyService } from './keys/key-service.ts';

/** A site the landing page links to (the other parts of the stack), e.g. { label: 'shop', url }. */
export interface SiteLink {
  label: string;
  url: string;
}

export interface OperatorContext {
  store: OperatorStore;
  keys: KeyService;
  lifetimes: TokenLifetimes;
  schedule: KeySchedule;
  optouts: OptoutPolicy;
  saltRotation: SaltRotation;
  metrics: OperatorMetrics;
  log: Logger;
  now: () => number;
  /** The other sites of the stack, when the operator was told them (`--links`); shown on `/`. */
  links: readonly SiteLink[];
}
