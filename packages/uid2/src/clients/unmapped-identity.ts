// Why the operator did not map an identifier. The two reasons it sends today, and `unknown` for any
// other string (a newer operator's reason stays readable as `rawReason`), as the Python SDK reads them.

export const UnmappedIdentityReason = {
  OPTOUT: 'optout',
  INVALID_IDENTIFIER: 'invalid identifier',
  UNKNOWN: 'unknown',
} as const;
export type UnmappedIdentityReason = (typeof UnmappedIdentityReason)[keyof typeof UnmappedIdentityReason];

export interface UnmappedIdentity {
  reason: UnmappedIdentityReason;
  /** The operator's string as sent. */
  rawReason: string;
}

export function unmappedIdentity(rawReason: string): UnmappedIdentity {
  const reason =
    rawReason === UnmappedIdentityReason.OPTOUT || rawReason === UnmappedIdentityReason.INVALID_IDENTIFIER
      ? rawReason
      : UnmappedIdentityReason.UNKNOWN;
  return { reason, rawReason };
}

/** What every identity map answer holds: results keyed by the caller's input values. */
export interface IdentityMapResult<Mapped> {
  mappedIdentities: Map<string, Mapped>;
  unmappedIdentities: Map<string, UnmappedIdentity>;
}
