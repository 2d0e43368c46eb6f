// Loads the shared interoperability vectors (generated with the official Python SDK). They live in
// ../shared/vectors beside the repository root, in CI as on the workstations.
import { readFileSync } from 'node:fs';

export const VECTORS_URL = new URL('../../../../../shared/vectors/uid2-sdk-vectors.json', import.meta.url);

export interface EmailVector {
  description: string;
  input: string;
  normalized: string | null;
  valid: boolean;
  normalize_and_hash: string | null;
  sha256_b64?: string;
}

export interface PhoneVector {
  description: string;
  input: string;
  valid: boolean;
  normalize_and_hash: string | null;
  sha256_b64?: string;
}

export interface TokenGenerateRequestVector {
  builder: string;
  input: string;
  tcf_consent_string?: string;
  json: string | null;
  body?: Record<string, string>;
  error?: string;
}

export interface NormalizationVectors {
  email: EmailVector[];
  phone: PhoneVector[];
  token_generate_request: TokenGenerateRequestVector[];
}

export function loadVectors(): { normalization: NormalizationVectors } & Record<string, unknown> {
  return JSON.parse(readFileSync(VECTORS_URL, 'utf8'));
}
