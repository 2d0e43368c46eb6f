// Request bodies of the admin API.
import { z } from 'zod';
import { PARTICIPANT_TYPES, ROLES } from '../state/model.ts';

const siteId = z.number().int().min(3).max(2_147_483_647);

const name = z.string().trim().min(1, 'give the participant a name').max(200);
const roles = z.array(z.enum(ROLES, { error: `roles are ${ROLES.join(', ')}` }));

export const newParticipantSchema = z.object({
  siteId: siteId.optional(),
  name,
  type: z.enum(PARTICIPANT_TYPES, { error: `type is one of ${PARTICIPANT_TYPES.join(', ')}` }),
  // A participant with no role could call nothing: its API key would be refused everywhere.
  roles: z.preprocess((v) => v ?? [], roles.min(1, `choose at least one role (${ROLES.join(', ')})`)),
  domains: z.array(z.string()).max(100).default([]),
});

export const updateParticipantSchema = z.object({
  name: name.optional(),
  roles: roles.optional(),
  domains: z.array(z.string()).max(100).optional(),
});

export const sharingChangeSchema = z
  .object({
    sites: z.array(siteId).max(1000).default([]),
    types: z.array(z.enum(PARTICIPANT_TYPES)).default([]),
  })
  .refine((v) => v.sites.length > 0 || v.types.length > 0, { message: 'give sites and/or types' });

export const optoutSchema = z
  .object({
    email: z.string().optional(),
    phone: z.string().optional(),
    email_hash: z.string().optional(),
    phone_hash: z.string().optional(),
  })
  .strict();

export const rotateSchema = z.object({
  keysetIds: z.array(z.number().int()).optional(),
  activateNow: z.boolean().default(false),
});

export const saltRotateSchema = z
  .object({
    bucketIds: z.array(z.string().min(1).max(64)).min(1).max(1 << 20).optional(),
    count: z.number().int().min(1).optional(),
    fraction: z.number().gt(0).max(1).optional(),
  })
  .strict()
  .refine((v) => [v.bucketIds, v.count, v.fraction].filter((x) => x !== undefined).length <= 1, { message: 'give at most one of bucketIds, count, fraction' });
