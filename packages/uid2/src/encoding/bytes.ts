// Buffer views over Uint8Arrays. The codec accepts plain Uint8Arrays at its edges but reads integers
// and encodes base64 through Buffer methods; a view shares memory, so this never copies.

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
