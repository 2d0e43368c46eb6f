// The snippet's Identity is the operator's identity JSON of @uid2-pixels/uid2 (refresh_response_key
// optional), written out so the published types stand alone. The type check fails if they drift.
import { expectTypeOf, it } from 'vitest';
import type { IdentityTokensJson } from '@uid2-pixels/uid2/clients/identity-tokens';
import type { Identity } from '../src/types.ts';

type Wire = Omit<IdentityTokensJson, 'refresh_response_key'> & { refresh_response_key?: string };

it('Identity is IdentityTokensJson with an optional refresh_response_key', () => {
  expectTypeOf<keyof Identity>().toEqualTypeOf<keyof IdentityTokensJson>();
  expectTypeOf<Identity>().toExtend<Wire>();
  expectTypeOf<Wire>().toExtend<Identity>();
});
