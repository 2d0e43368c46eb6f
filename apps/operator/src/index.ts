// Public API of @uid2-pixels/operator: start a real operator (tests use port 0 and a temp data dir).
export { startOperator } from './start-operator.ts';
export type { RunningOperator, StartOperatorOptions } from './start-operator.ts';
export { DEV_FIXTURE_PATH, loadFixture, parseFixture } from './state/fixture.ts';
export type { FixtureParticipant, OperatorFixture } from './state/fixture.ts';
export type { SaltSeed } from './state/store.ts';
export type { RotateOptions } from './keys/key-service.ts';
export type { TokenLifetimes } from './config.ts';
export type { SiteLink } from './context.ts';
export { DEFAULT_LIFETIMES } from './config.ts';
export { OperatorError } from './errors.ts';
export type { KeyRecord, ParticipantType, Role } from './state/model.ts';
export { DEFAULT_SALT_SCHEDULE } from './identity/salt-rotation.ts';
export type { SaltRotateRequest, SaltRotateResult, SaltSchedule } from './identity/salt-rotation.ts';
