import { getHeapStatistics } from 'node:v8';
import { ConfigError } from '../config/config';

/** Limits for load shedding, database outages and the audit spool (see README "Failure behaviour"). */
export interface ResilienceConfig {
  /** How long a start waits for an unreachable PostgreSQL, retrying with backoff (0: one try). */
  databaseStartTimeoutSeconds: number;
  /** Work in flight, in cost units (1 per request + 1 per KiB of body), for all partners together... */
  maxInflightCost: number;
  /** ...and for one partner. */
  maxInflightCostPerPartner: number;
  /** Shed new requests while the event loop lags more than this on every turn for PRESSURE_WINDOWS windows (0: off). */
  maxEventLoopDelayMs: number;
  /** Shed new requests while the JS heap holds more than this (0: off). */
  maxHeapMb: number;
  /** Retry-After of an OVERLOADED answer. */
  overloadRetryAfterSeconds: number;
  /** Retry-After of a DATABASE_UNAVAILABLE answer. */
  unavailableRetryAfterSeconds: number;
  /** Most failed-mutation audit entries kept in DATA_DIR/audit-spool.jsonl while the database is down. */
  auditSpoolMaxEntries: number;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/**
 * 85 % of the heap V8 will grow to (`--max-old-space-size`, or its default for the machine's
 * memory): near that limit collection stalls the loop and then the process dies, so new work is
 * shed first. A fixed figure would shed in a process that merely holds more (a test runner
 * hosting several gateways) long before any danger.
 */
function defaultMaxHeapMb(): number {
  return Math.floor((0.85 * getHeapStatistics().heap_size_limit) / 2 ** 20);
}

/** Read and validated at start like the rest of the configuration (a bad value stops the start, exit 2). */
export function loadResilienceConfig(env: Env = process.env): ResilienceConfig {
  return {
    databaseStartTimeoutSeconds: int(env, 'DATABASE_START_TIMEOUT_SECONDS', 300, 0, 86_400),
    maxInflightCost: int(env, 'OVERLOAD_MAX_INFLIGHT_COST', 1024, 1, 1_000_000),
    maxInflightCostPerPartner: int(env, 'OVERLOAD_MAX_INFLIGHT_COST_PER_PARTNER', 512, 1, 1_000_000),
    maxEventLoopDelayMs: int(env, 'OVERLOAD_MAX_EVENT_LOOP_DELAY_MS', 100, 0, 60_000),
    maxHeapMb: int(env, 'OVERLOAD_MAX_HEAP_MB', defaultMaxHeapMb(), 0, 65_536),
    overloadRetryAfterSeconds: int(env, 'OVERLOAD_RETRY_AFTER_SECONDS', 1, 1, 3600),
    unavailableRetryAfterSeconds: int(env, 'DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS', 5, 1, 3600),
    auditSpoolMaxEntries: int(env, 'AUDIT_SPOOL_MAX_ENTRIES', 10_000, 0, 10_000_000),
  };
}
