// Bearer API-key authentication (spec §1.4); routes check roles themselves (envelope-route.ts, §1.5).
import type { Request } from 'express';
import { findClientByApiKey, apiKeyMatches, type AuthenticatedClient } from '../participants/api-keys.ts';
import type { OperatorState } from '../state/model.ts';

/** The key after a case-insensitive `Bearer ` prefix of the trimmed header, or null. */
function bearerToken(req: Request): string | null {
  const header = req.headers.authorization?.trim();
  if (!header || header.length <= 7 || header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  return header.slice(7);
}

export function authenticate(state: OperatorState, req: Request): AuthenticatedClient | null {
  const key = bearerToken(req);
  return key ? findClientByApiKey(state.participants, key) : null;
}

export function isAdmin(state: OperatorState, req: Request): boolean {
  const key = bearerToken(req);
  return key !== null && apiKeyMatches(key, state.adminKeySalt, state.adminKeyHash);
}
