// Bearer API-key authentication and role checks (spec §1.4, §1.5).
import type { Request } from 'express';
import { findClientByApiKey, apiKeyMatches, type AuthenticatedClient } from '../participants/api-keys.ts';
import type { OperatorState, Role } from '../state/model.ts';

/** The key after a case-insensitive `Bearer ` prefix of the trimmed header, or null. */
export function bearerToken(req: Request): string | null {
  const header = req.headers.authorization?.trim();
  if (!header || header.length <= 7 || header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  return header.slice(7);
}

export function authenticate(state: OperatorState, req: Request): AuthenticatedClient | null {
  const key = bearerToken(req);
  return key ? findClientByApiKey(state.participants, key) : null;
}

/** Authenticates and checks that the caller holds any one of `roles`; null means 401. */
export function authorize(state: OperatorState, req: Request, roles: readonly Role[]): AuthenticatedClient | null {
  const client = authenticate(state, req);
  if (!client || !client.participant.roles.some((r) => roles.includes(r))) return null;
  return client;
}

export function isAdmin(state: OperatorState, req: Request): boolean {
  const key = bearerToken(req);
  return key !== null && apiKeyMatches(key, state.adminKeySalt, state.adminKeyHash);
}
