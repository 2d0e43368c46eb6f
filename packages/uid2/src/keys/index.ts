export * from './key-ring.ts';
export * from './errors.ts';
