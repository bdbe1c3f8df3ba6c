import * as os from 'node:os';
import * as path from 'node:path';

/** Raised when an environment variable has a bad value; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface AppConfig {
  /** Unset means the embedded PGlite database under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  audience: string;
  issuer: string;
  logLevel: LogLevel;
  migrationsRun: boolean;
  gatewayKeyFile: string | undefined;
  /** Public JWKS (JSON text) for the bootstrap operator partner. */
  operatorJwks: string | undefined;
  metricsToken: string | undefined;
  nodeEnv: string;
  /** How long a replica may serve a partner's status and keys from memory, in ms. */
  authCacheTtlMs: number;
  /** Sign a checkpoint every this many audit entries. */
  auditCheckpointEvery: number;
  /** ...and every this many seconds when there are new entries (0 turns the timer off). */
  auditCheckpointSeconds: number;
  /** Most tokens in one publishEvents call. */
  publishMaxBatch: number;
  /** Days an event is kept after its expires_at before the retention job purges it. */
  retentionDays: number;
  /** How often the retention job runs, in seconds (0: never on its own). */
  retentionIntervalSeconds: number;
  /** Give-to-get: events a partner of this kind must have published within giveToGetDays to read others' (0: off). */
  giveToGetMinEvents: Record<string, number>;
  giveToGetDays: number;
  /** Query-cost budget per partner per minute, by kind. */
  rateLimitCostPerMinute: Record<string, number>;
  /** Most cost one GraphQL document may have. */
  graphqlMaxCost: number;
  /** Redis for the shared rate-limit counters; unset: PostgreSQL. */
  redisUrl: string | undefined;
  /** Days below MONITOR after which an episode ends. */
  episodeCooldownDays: number;
  /** Worker threads that verify published tokens (0: on the main thread). */
  verifyWorkers: number;
}

const KINDS = ['BANK', 'ECOMMERCE', 'LEGAL', 'INTERNAL_SCORER', 'OPERATOR'];

/** Reads `KIND=number,KIND=number` (kinds not named keep their default). */
function readPerKind(env: Env, name: string, defaults: Record<string, number>, max: number): Record<string, number> {
  const raw = env[name];
  const out = { ...defaults };
  if (raw === undefined || raw.trim() === '') return out;
  for (const part of raw.split(',')) {
    const m = /^\s*([A-Z_]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m || !KINDS.includes(m[1])) throw new ConfigError(name, `must look like BANK=10,ECOMMERCE=5 with kinds among ${KINDS.join(', ')}; got "${part.trim()}"`);
    const n = Number(m[2]);
    if (n > max) throw new ConfigError(name, `${m[1]} must be at most ${max}`);
    out[m[1]] = n;
  }
  return out;
}

type Env = Record<string, string | undefined>;

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function readName(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[\x21-\x7e]{1,256}$/.test(raw)) {
    throw new ConfigError(name, 'must be 1..256 printable characters without spaces');
  }
  return raw;
}

function readDatabaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a valid URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  return raw;
}

function readOperatorJwks(env: Env): string | undefined {
  const raw = env.OPERATOR_JWKS;
  if (raw === undefined || raw.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('OPERATOR_JWKS', 'is not valid JSON (expected {"keys":[...]})');
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError('OPERATOR_JWKS', 'must be a JWKS object with a non-empty "keys" array');
  }
  return raw;
}

function readRedisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error();
  } catch {
    throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL');
  }
  return raw;
}

/** Reads and validates the whole configuration once, at boot. */
export function loadConfig(env: Env = process.env): AppConfig {
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const dataDir = path.resolve(env.DATA_DIR && env.DATA_DIR.trim() !== '' ? env.DATA_DIR : './data');
  const keyFile = env.GATEWAY_KEY_FILE?.trim() ? path.resolve(env.GATEWAY_KEY_FILE) : undefined;
  const metricsToken = env.METRICS_TOKEN?.trim() ? env.METRICS_TOKEN : undefined;
  if (metricsToken !== undefined && metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters long');
  }
  const host = env.HOST?.trim() || '0.0.0.0';
  return {
    databaseUrl: readDatabaseUrl(env),
    dataDir,
    port: readInt(env, 'PORT', 4000, 0, 65535),
    host,
    audience: readName(env, 'GATEWAY_AUDIENCE', 'risk-exchange'),
    issuer: readName(env, 'GATEWAY_ISSUER', 'risk-exchange-gateway'),
    logLevel: logLevel as LogLevel,
    migrationsRun: readBool(env, 'MIGRATIONS_RUN', true),
    gatewayKeyFile: keyFile,
    operatorJwks: readOperatorJwks(env),
    metricsToken,
    nodeEnv: env.NODE_ENV?.trim() || 'development',
    authCacheTtlMs: readInt(env, 'AUTH_CACHE_TTL_MS', 2000, 0, 4000),
    auditCheckpointEvery: readInt(env, 'AUDIT_CHECKPOINT_EVERY', 1000, 1, 10_000_000),
    auditCheckpointSeconds: readInt(env, 'AUDIT_CHECKPOINT_SECONDS', 60, 0, 86_400),
    publishMaxBatch: readInt(env, 'PUBLISH_MAX_BATCH', 500, 1, 5000),
    retentionDays: readInt(env, 'RETENTION_DAYS', 90, 0, 36_500),
    retentionIntervalSeconds: readInt(env, 'RETENTION_INTERVAL_SECONDS', 3600, 0, 604_800),
    giveToGetMinEvents: readPerKind(env, 'GIVE_TO_GET_MIN_EVENTS', Object.fromEntries(KINDS.map((k) => [k, 0])), 1_000_000),
    giveToGetDays: readInt(env, 'GIVE_TO_GET_DAYS', 30, 1, 3650),
    rateLimitCostPerMinute: readPerKind(
      env,
      'RATE_LIMIT_COST_PER_MINUTE',
      { BANK: 600_000, ECOMMERCE: 600_000, INTERNAL_SCORER: 600_000, LEGAL: 60_000, OPERATOR: 120_000 },
      1_000_000_000,
    ),
    graphqlMaxCost: readInt(env, 'GRAPHQL_MAX_COST', 5000, 10, 1_000_000),
    redisUrl: readRedisUrl(env),
    episodeCooldownDays: readInt(env, 'EPISODE_COOLDOWN_DAYS', 7, 0, 365),
    verifyWorkers: readInt(env, 'VERIFY_WORKERS', defaultVerifyWorkers(), 0, 64),
  };
}

/**
 * Token verification workers: one per core but one, at least one (the main thread keeps a core for
 * HTTP, GraphQL and the database driver; measured on 2 cores in README "Architecture").
 */
function defaultVerifyWorkers(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

export const APP_CONFIG = Symbol('APP_CONFIG');
