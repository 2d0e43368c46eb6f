// The EUID consent check of token generation (operator-api.md §3.1, the real operator's
// validateUserConsent): on an EUID operator, a request's `tcf_consent_string` must give consent to the
// EUID purposes and vendor, else 200 `insufficient_user_consent`; a string that is not TCF v2 is a 400.
// UID2 operators, and requests without the (optional) string, are not checked. Applied to
// /v2/token/generate and, where the browser snippet sends the string inside its encrypted payload, to
// /v2/token/client-generate.
import { allowsEuid, decodeTcfString, TcfStringError } from '@uid2-pixels/uid2/tcf';
import type { OperatorContext } from '../context.ts';
import { clientError, type OperatorReply } from '../http/respond.ts';

/** The refusal to send instead of a token, or undefined when the request may have one. */
export function refuseWithoutConsent(ctx: OperatorContext, consentString: unknown): OperatorReply | undefined {
  if (ctx.store.salts.scope !== 'EUID' || consentString === undefined || consentString === null) return undefined;
  try {
    if (allowsEuid(decodeTcfString(consentString as string))) return undefined;
  } catch (error) {
    if (error instanceof TcfStringError) return clientError('User consent is invalid');
    throw error;
  }
  return { code: 200, json: { status: 'insufficient_user_consent' } };
}
