// Privacy bits of the site payload (operator-api.md §9.2, the operator's PrivacyBits.java). A uint32
// read big-endian; each constant is a mask. The operator writes Legacy on every token and adds
// ClientSideGenerated for CSTG tokens (value 3); refresh keeps the value.
//
// Deliberate divergence from the Python SDK, which tests mask 0x40000000 (it indexes a big-endian
// bitarray) and so never sees the CSTG flag of real operator tokens. We read bit 1 (mask 0x2), as the
// operator writes it and the Java/.NET SDKs read it. See the vectors README, cases tagged privacy-bits.

/** Bit 0: set by the operator on every token (meaning unknown, kept for compatibility). */
export const PRIVACY_BIT_LEGACY = 1;
/** Bit 1: the token was generated client-side (CSTG); bidstream receivers check its site's domains. */
export const PRIVACY_BIT_CLIENT_SIDE_GENERATED = 2;
/** Bit 2: CSTG opt-out, used by the removed opt-out tokens. */
export const PRIVACY_BIT_CSTG_OPTOUT = 4;
/** Bit 3: deprecated; never reuse. */
export const PRIVACY_BIT_DEPRECATED = 8;

/** What the operator writes for /v2/token/generate tokens. */
export const PRIVACY_BITS_SERVER_GENERATED = PRIVACY_BIT_LEGACY;
/** What the operator writes for /v2/token/client-generate tokens. */
export const PRIVACY_BITS_CLIENT_GENERATED = PRIVACY_BIT_LEGACY | PRIVACY_BIT_CLIENT_SIDE_GENERATED;

export function isClientSideGenerated(privacyBits: number): boolean {
  return (privacyBits & PRIVACY_BIT_CLIENT_SIDE_GENERATED) !== 0;
}
