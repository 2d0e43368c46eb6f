import { describe, expect, it } from 'vitest';
import { InvalidDiiError, tokenGenerateRequestBody, type TokenGenerateInput } from '../../src/dii/index.ts';
import { loadVectors, type TokenGenerateRequestVector } from './vectors.ts';

const { normalization } = loadVectors();

/** Translates an SDK builder call (TokenGenerateInput.from_email(...).do_not_hash()...) into ours. */
function inputFor(v: TokenGenerateRequestVector): TokenGenerateInput {
  const builder = v.builder;
  const consent = v.tcf_consent_string === undefined ? {} : { tcfConsentString: v.tcf_consent_string };
  const sendUnhashed = builder.includes('do_not_hash') ? { sendUnhashed: true } : {};
  if (builder.startsWith('from_hashed_email')) return { emailHash: v.input, ...consent };
  if (builder.startsWith('from_hashed_phone')) return { phoneHash: v.input, ...consent };
  if (builder.startsWith('from_email')) return { email: v.input, ...sendUnhashed, ...consent };
  if (builder.startsWith('from_phone')) return { phone: v.input, ...sendUnhashed, ...consent };
  throw new Error(`unknown builder in vectors: ${builder}`);
}

describe('tokenGenerateRequestBody: every SDK token_generate_request vector', () => {
  it('has the vectors', () => {
    expect(normalization.token_generate_request.length).toBeGreaterThanOrEqual(9);
  });
  for (const v of normalization.token_generate_request) {
    it(`${v.builder}: ${JSON.stringify(v.input)}`, () => {
      if (v.json === null) {
        expect(() => tokenGenerateRequestBody(inputFor(v))).toThrow(InvalidDiiError);
        return;
      }
      const body = tokenGenerateRequestBody(inputFor(v));
      expect(body).toEqual(v.body);
      // Same fields in the same order as the SDK's JSON (it only differs by its ", " separators).
      expect(JSON.stringify(body)).toBe(JSON.stringify(JSON.parse(v.json)));
    });
  }
});

describe('tokenGenerateRequestBody: input checks', () => {
  it('accepts a 64-char hex hash (either case), as the operator does', () => {
    const hex = '0C7E6A405862E402EB76A70F8A26FC732D07C32931E9FAE9AB1582911D2E8A3B';
    expect(tokenGenerateRequestBody({ emailHash: hex })).toEqual({ email_hash: hex });
    expect(tokenGenerateRequestBody({ phoneHash: hex.toLowerCase() })).toEqual({ phone_hash: hex.toLowerCase() });
  });

  it.each([
    [{ emailHash: 'not a hash' }],
    [{ phoneHash: 'OFtLcFPuShYYoIEPDQ8BNbanJujkh4MOpKygJnyTe58' }], // pad missing
    [{ emailHash: 'OFtLcFPuShYYoIEPDQ8BNbanJujkh4MOpKygJnyTe5==' }], // wrong length of digest
    [{ email: 'a@b.c', phone: '+12345678901' } as unknown as TokenGenerateInput],
    [{} as unknown as TokenGenerateInput],
    [{ email: '@rulo.com', sendUnhashed: true }],
    [{ phone: '+1 234 567 8901', sendUnhashed: true }],
  ])('rejects %j', (input) => {
    expect(() => tokenGenerateRequestBody(input)).toThrow(InvalidDiiError);
  });

  it('never echoes the DII in the error message', () => {
    try {
      tokenGenerateRequestBody({ email: 'secret.person@gmail' + '@x.com' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('secret.person');
    }
  });
});
