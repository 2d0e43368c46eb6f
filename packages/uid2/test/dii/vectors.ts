// The `normalization` part of the shared SDK vectors, typed (test/vectors.ts types the token parts).
import { readFileSync } from 'node:fs';
import { vectorsUrl } from '../vectors.ts';

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
  return JSON.parse(readFileSync(vectorsUrl, 'utf8'));
}
