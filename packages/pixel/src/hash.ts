import { toB64 } from './b64.ts';

export const subtle = crypto.subtle;

export const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text);

/** SHA-256 of the UTF-8 text. */
export const digest = async (text: string): Promise<Uint8Array> => new Uint8Array(await subtle.digest('SHA-256', utf8(text)));

/** base64(SHA-256(UTF-8 text)): how UID2 hashes normalised DII. */
export const sha256 = async (text: string): Promise<string> => toB64(await digest(text));
