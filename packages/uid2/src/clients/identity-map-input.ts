// Inputs of the identity map clients, as the Python and Java SDKs build them: emails and phones are
// normalised and hashed here, so only SHA-256 hashes leave the process; already-hashed values are sent
// as given (the operator answers "invalid identifier" for a malformed one). Each input remembers which
// caller values produced each hash, so answers come back keyed by what the caller passed in.
// Invalid emails and phones throw InvalidDiiError before any request (the SDKs raise ValueError /
// IllegalArgumentException there); the message names the rule, never the value.
import { normalizeAndHashEmail, normalizeAndHashPhone } from '../dii/hash.ts';

export type HashedDiiType = 'email_hash' | 'phone_hash';

/** One identifier to send: its hash, its type, and the value the caller gave for it. */
export interface IdentityMapEntry {
  type: HashedDiiType;
  hash: string;
  input: string;
}

/** What both inputs share: entries in order, the hash -> caller values index, and splitting. */
abstract class HashedDiiInput {
  readonly #entries: IdentityMapEntry[] = [];
  readonly #inputsByHash = new Map<string, string[]>();

  protected add(type: HashedDiiType, hash: string, input: string): void {
    this.#entries.push({ type, hash, input });
    const inputs = this.#inputsByHash.get(hash);
    if (inputs) inputs.push(input);
    else this.#inputsByHash.set(hash, [input]);
  }

  /** Number of identifiers (duplicates count: each is sent, as the SDKs do). */
  get size(): number {
    return this.#entries.length;
  }

  get entries(): readonly IdentityMapEntry[] {
    return this.#entries;
  }

  /** The caller's values that hashed to `hash` (a hashed input is its own value). */
  inputsFor(hash: string): readonly string[] {
    return this.#inputsByHash.get(hash) ?? [];
  }

  protected hashesOf(type: HashedDiiType): string[] {
    return this.#entries.filter((e) => e.type === type).map((e) => e.hash);
  }

  protected abstract emptyLike(): this;

  /** Consecutive inputs of at most `max` identifiers each (the batch helper sends one per request). */
  split(max: number): this[] {
    const parts: this[] = [];
    for (let start = 0; start < this.#entries.length; start += max) {
      const part = this.emptyLike();
      for (const e of this.#entries.slice(start, start + max)) part.add(e.type, e.hash, e.input);
      parts.push(part);
    }
    return parts;
  }
}

/** Input of IdentityMapV3Client: emails and phones, hashed or not, mixed in one request. */
export class IdentityMapV3Input extends HashedDiiInput {
  static fromEmails(emails: Iterable<string>): IdentityMapV3Input {
    return new IdentityMapV3Input().withEmails(emails);
  }
  static fromPhones(phones: Iterable<string>): IdentityMapV3Input {
    return new IdentityMapV3Input().withPhones(phones);
  }
  static fromHashedEmails(hashedEmails: Iterable<string>): IdentityMapV3Input {
    return new IdentityMapV3Input().withHashedEmails(hashedEmails);
  }
  static fromHashedPhones(hashedPhones: Iterable<string>): IdentityMapV3Input {
    return new IdentityMapV3Input().withHashedPhones(hashedPhones);
  }

  /** Normalises and hashes an email; throws InvalidDiiError for an invalid address. */
  withEmail(email: string): this {
    this.add('email_hash', normalizeAndHashEmail(email), email);
    return this;
  }
  /** Hashes an E.164 phone; throws InvalidDiiError when it is not '+' and 10-15 digits. */
  withPhone(phone: string): this {
    this.add('phone_hash', normalizeAndHashPhone(phone), phone);
    return this;
  }
  withHashedEmail(hashedEmail: string): this {
    this.add('email_hash', hashedEmail, hashedEmail);
    return this;
  }
  withHashedPhone(hashedPhone: string): this {
    this.add('phone_hash', hashedPhone, hashedPhone);
    return this;
  }
  withEmails(emails: Iterable<string>): this {
    for (const email of emails) this.withEmail(email);
    return this;
  }
  withPhones(phones: Iterable<string>): this {
    for (const phone of phones) this.withPhone(phone);
    return this;
  }
  withHashedEmails(hashedEmails: Iterable<string>): this {
    for (const hash of hashedEmails) this.withHashedEmail(hash);
    return this;
  }
  withHashedPhones(hashedPhones: Iterable<string>): this {
    for (const hash of hashedPhones) this.withHashedPhone(hash);
    return this;
  }

  /** The request body: both hash arrays, always present (possibly empty), as the SDKs send them. */
  toRequestBody(): { email_hash: string[]; phone_hash: string[] } {
    return { email_hash: this.hashesOf('email_hash'), phone_hash: this.hashesOf('phone_hash') };
  }

  protected emptyLike(): this {
    return new IdentityMapV3Input() as this;
  }
}

/** Input of IdentityMapClient (/v2/identity/map): one kind of identifier per request. */
export class IdentityMapInput extends HashedDiiInput {
  readonly type: HashedDiiType;

  private constructor(type: HashedDiiType) {
    super();
    this.type = type;
  }

  static fromEmails(emails: Iterable<string>): IdentityMapInput {
    const input = new IdentityMapInput('email_hash');
    for (const email of emails) input.add('email_hash', normalizeAndHashEmail(email), email);
    return input;
  }
  static fromPhones(phones: Iterable<string>): IdentityMapInput {
    const input = new IdentityMapInput('phone_hash');
    for (const phone of phones) input.add('phone_hash', normalizeAndHashPhone(phone), phone);
    return input;
  }
  static fromHashedEmails(hashedEmails: Iterable<string>): IdentityMapInput {
    return IdentityMapInput.#hashed('email_hash', hashedEmails);
  }
  static fromHashedPhones(hashedPhones: Iterable<string>): IdentityMapInput {
    return IdentityMapInput.#hashed('phone_hash', hashedPhones);
  }

  static #hashed(type: HashedDiiType, hashes: Iterable<string>): IdentityMapInput {
    const input = new IdentityMapInput(type);
    for (const hash of hashes) input.add(type, hash, hash);
    return input;
  }

  toRequestBody(): Partial<Record<HashedDiiType, string[]>> {
    return { [this.type]: this.hashesOf(this.type) };
  }

  protected emptyLike(): this {
    return new IdentityMapInput(this.type) as this;
  }
}
