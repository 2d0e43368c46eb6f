export * from './decrypt.ts';
export * from './encrypt.ts';
export * from './encode.ts';
export * from './open.ts';
export * from './privacy-bits.ts';
export * from './layout.ts';
export * from './token-string.ts';
