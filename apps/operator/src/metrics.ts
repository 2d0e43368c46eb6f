// Prometheus metrics, one registry per operator instance (tests run several in one process).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'uid2_operator_http_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'code'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'uid2_operator_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly identities = new Counter({
    name: 'uid2_operator_identity_responses_total',
    help: 'Identity answers by endpoint (generate, refresh, client_generate) and status (success, optout, ...)',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly keyRotations = new Counter({
    name: 'uid2_operator_key_rotations_total',
    help: 'Key rotations (scheduled and manual)',
    registers: [this.registry],
  });
  readonly keysPruned = new Counter({
    name: 'uid2_operator_keys_pruned_total',
    help: 'Keys dropped after every token they sealed had expired',
    registers: [this.registry],
  });

  readonly saltBucketsRotated = new Counter({
    name: 'uid2_operator_salt_buckets_rotated_total',
    help: 'Salt buckets rotated (scheduled and forced)',
    registers: [this.registry],
  });
  readonly identityMapInputs = new Counter({
    name: 'uid2_operator_identity_map_inputs_total',
    help: 'Identifiers received by the identity map routes, by path and DII type',
    labelNames: ['path', 'dii_type'] as const,
    registers: [this.registry],
  });
  readonly identityMapUnmapped = new Counter({
    name: 'uid2_operator_identity_map_unmapped_total',
    help: 'Identifiers answered unmapped, by reason (optout, invalid)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
