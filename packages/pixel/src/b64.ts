// Standard base64 (with padding), as the operator's CSTG and refresh wire format uses.
export const toB64 = (bytes: ArrayBuffer | ArrayLike<number>): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)));

export const fromB64 = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

