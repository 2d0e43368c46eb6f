// The JSON body of POST /v2/token/generate (sent inside the v2 envelope), built from one identifier.
// By default email and phone are hashed here, so the DII itself never leaves the process; set
// `sendUnhashed` to let the operator normalise and hash (the body then carries the DII as given).
import { InvalidDiiError } from './errors.ts';
import { normalizeAndHashEmail, normalizeAndHashPhone } from './hash.ts';
import { isDiiHash, isNormalizedPhone, normalizeEmail } from './normalize.ts';

interface ConsentOption {
  /** IAB TCF consent string; the operator only looks at it when its identity scope is EUID. */
  tcfConsentString?: string;
}

export type TokenGenerateInput =
  | ({ email: string; sendUnhashed?: boolean } & ConsentOption)
  | ({ phone: string; sendUnhashed?: boolean } & ConsentOption)
  | ({ emailHash: string } & ConsentOption)
  | ({ phoneHash: string } & ConsentOption);

/** Exactly one identifier field is present, then the optional consent string. */
export interface TokenGenerateRequestBody {
  email?: string;
  email_hash?: string;
  phone?: string;
  phone_hash?: string;
  tcf_consent_string?: string;
}

/**
 * Builds the request body. Throws InvalidDiiError when the identifier is invalid (bad email, phone
 * not in E.164, hash not 44-char base64 / 64 hex) or when not exactly one identifier is given.
 */
export function tokenGenerateRequestBody(input: TokenGenerateInput): TokenGenerateRequestBody {
  const given = (['email', 'phone', 'emailHash', 'phoneHash'] as const).filter(
    (field) => (input as unknown as Record<string, unknown>)[field] !== undefined,
  );
  if (given.length !== 1) {
    throw new InvalidDiiError('exactly one of email, phone, emailHash, phoneHash must be given');
  }
  const body: TokenGenerateRequestBody = {};
  if ('email' in input && input.email !== undefined) {
    if (input.sendUnhashed === true) {
      if (normalizeEmail(input.email) === null) throw new InvalidDiiError('invalid email address');
      body.email = input.email;
    } else {
      body.email_hash = normalizeAndHashEmail(input.email);
    }
  } else if ('phone' in input && input.phone !== undefined) {
    if (input.sendUnhashed === true) {
      if (!isNormalizedPhone(input.phone)) {
        throw new InvalidDiiError('phone number is not normalized (E.164: "+" then 10-15 digits)');
      }
      body.phone = input.phone;
    } else {
      body.phone_hash = normalizeAndHashPhone(input.phone);
    }
  } else if ('emailHash' in input && input.emailHash !== undefined) {
    if (!isDiiHash(input.emailHash)) throw new InvalidDiiError('email hash is not a base64 or hex SHA-256');
    body.email_hash = input.emailHash;
  } else if ('phoneHash' in input && input.phoneHash !== undefined) {
    if (!isDiiHash(input.phoneHash)) throw new InvalidDiiError('phone hash is not a base64 or hex SHA-256');
    body.phone_hash = input.phoneHash;
  }
  if (input.tcfConsentString !== undefined) body.tcf_consent_string = input.tcfConsentString;
  return body;
}
