// Request bodies of the admin API.
import { z } from 'zod';
import { PARTICIPANT_TYPES, ROLES } from '../state/model.ts';

const siteId = z.number().int().min(3).max(2_147_483_647);

export const newParticipantSchema = z.object({
  siteId: siteId.optional(),
  name: z.string().trim().min(1).max(200),
  type: z.enum(PARTICIPANT_TYPES),
  roles: z.array(z.enum(ROLES)).default([]),
  domains: z.array(z.string()).max(100).default([]),
});

export const updateParticipantSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  roles: z.array(z.enum(ROLES)).optional(),
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
