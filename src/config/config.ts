import * as os from 'node:os';
import * as path from 'node:path';
import * as ipaddr from 'ipaddr.js';

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
  /**
   * GATEWAY_ISSUER: the gateway's issuer URL (`iss` of every token it signs, `issuer` of the SSF
   * metadata, base of its SSF endpoint URLs), without a trailing slash. https in production.
   */
  issuer: string;
  logLevel: LogLevel;
  migrationsRun: boolean;
  gatewayKeyFile: string | undefined;
  /** GATEWAY_RSA_KEY_FILE: the RS256 key; unset means DATA_DIR/gateway-rsa-key.jwk, created on first start. */
  gatewayRsaKeyFile: string | undefined;
  /** SSF streams (README "Receiving notices"). */
  streams: StreamsConfig;
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
  /** Lifetime of the OAuth access tokens of POST /oauth/token, in seconds. */
  accessTokenTtlSeconds: number;
  /** Worker threads that verify published tokens (0: on the main thread). */
  verifyWorkers: number;
  /** RFC 8936 long poll: longest wait for a notice before an empty answer, in ms (below any proxy timeout). */
  pollMaxWaitMs: number;
  /** Most SETs in one poll answer (a larger `maxEvents` is capped to this). */
  pollMaxEvents: number;
  /** Long polls and subscriptions waiting for notices at once, per partner and on this replica in total. */
  deliveryMaxWaitersPerPartner: number;
  deliveryMaxWaiters: number;
  /** How often an open GraphQL WebSocket re-checks its partner, key and assertion expiry, in ms. */
  wsSessionCheckMs: number;
  /** RFC 8935 push delivery (src/delivery/push). */
  push: PushConfig;
  /** Legal requests (src/legal; README "Legal requests"). */
  legal: LegalConfig;
  /** The management port: /health and /metrics from a thread of their own (README "Failure behaviour"). */
  management: ManagementConfig;
}

/** MANAGEMENT_*: a worker thread answers /health and /metrics on a port of its own (src/observability/management.ts). */
export interface ManagementConfig {
  /** MANAGEMENT_PORT: 0 turns it off; default PORT+1 (off when PORT is 0 or 65535). */
  port: number;
  /** MANAGEMENT_HOST: default HOST. */
  host: string;
  /** How often the main thread sends the worker a fresh /metrics text, in ms. */
  scrapeIntervalMs: number;
  /** The management /health answers 503 once the main event loop's heartbeat is older than this, in ms. */
  heartbeatTimeoutMs: number;
}

function readManagementConfig(env: Env, port: number, host: string): ManagementConfig {
  const fallback = port > 0 && port < 65535 ? port + 1 : 0;
  const managementPort = readInt(env, 'MANAGEMENT_PORT', fallback, 0, 65535);
  if (managementPort !== 0 && managementPort === port) throw new ConfigError('MANAGEMENT_PORT', `must differ from PORT (${port}); 0 turns the management port off`);
  return {
    port: managementPort,
    host: env.MANAGEMENT_HOST?.trim() || host,
    scrapeIntervalMs: readInt(env, 'MANAGEMENT_SCRAPE_INTERVAL_MS', 1000, 100, 60_000),
    heartbeatTimeoutMs: readInt(env, 'MANAGEMENT_HEARTBEAT_TIMEOUT_MS', 5000, 500, 600_000),
  };
}

/** Legal requests: the review rule, the disclosure window and the deadline sweep. */
export interface LegalConfig {
  /** Approvals from distinct OPERATOR reviewers that a DISCLOSURE or FREEZE (and its release) needs (four-eyes: at least 2). */
  minApprovals: number;
  /** Days an approved disclosure gives access, unless the request's deadline comes first. */
  disclosureDays: number;
  /** How often deadlines are checked (overdue requests, ended access windows, freeze deadlines), in seconds (0: never on its own). */
  sweepSeconds: number;
}

/** RFC 8935 push delivery: the worker, its retries and the outbound rules (README "Push delivery"). */
export interface PushConfig {
  /** Run the push worker in this process (PUSH_WORKER=false: another replica pushes). */
  worker: boolean;
  /** Attempts of one delivery before it is dead-lettered. */
  maxAttempts: number;
  /** Backoff: attempt n waits a random time in [0, min(max, base * 2^(n-1))] (full jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failed attempts in a row on one stream after which the gateway pauses the stream. */
  pauseAfterFailures: number;
  /** How often due deliveries are looked for without a wake-up. */
  scanIntervalMs: number;
  /** A claimed delivery is not claimed again for this long (a replica that dies mid-send leaves it to others after it). */
  leaseMs: number;
  /** Whole request, connect to last byte read. */
  timeoutMs: number;
  /** Deliveries in flight at once in this process... */
  concurrency: number;
  /**
   * ...and for one stream, so a slow receiver cannot take every slot. RFC 8935 sends one SET per
   * request, so a stream's rate is this over its receiver's response time (64 at 50 ms: 1,280/s).
   */
  streamConcurrency: number;
  /** Plain http (and loopback addresses) allowed for loopback receivers: development and tests only. */
  allowInsecure: boolean;
  /** Private ranges a receiver may resolve to anyway (CIDR list). */
  allowedPrivateCidrs: string[];
}

function readCidrs(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((part) => {
    const c = part.trim();
    try {
      ipaddr.parseCIDR(c);
    } catch {
      throw new ConfigError(name, `must be a comma-separated list of CIDR ranges like 10.1.0.0/16,fd00::/8; got "${c}"`);
    }
    return c;
  });
}

function readPushConfig(env: Env): PushConfig {
  const timeoutMs = readInt(env, 'PUSH_TIMEOUT_MS', 5000, 100, 30_000);
  const baseDelayMs = readInt(env, 'PUSH_BASE_DELAY_MS', 5000, 1, 3_600_000);
  const maxDelayMs = readInt(env, 'PUSH_MAX_DELAY_MS', 600_000, 1, 86_400_000);
  if (maxDelayMs < baseDelayMs) throw new ConfigError('PUSH_MAX_DELAY_MS', `must be at least PUSH_BASE_DELAY_MS (${baseDelayMs})`);
  const leaseMs = readInt(env, 'PUSH_LEASE_MS', 60_000, 1000, 3_600_000);
  // A lease shorter than a send would let another replica send the same row while this one still is.
  if (leaseMs < 2 * timeoutMs) throw new ConfigError('PUSH_LEASE_MS', `must be at least twice PUSH_TIMEOUT_MS (${2 * timeoutMs})`);
  const concurrency = readInt(env, 'PUSH_CONCURRENCY', 128, 1, 1000);
  const streamConcurrency = readInt(env, 'PUSH_STREAM_CONCURRENCY', Math.ceil(concurrency / 2), 1, 1000);
  if (streamConcurrency > concurrency) throw new ConfigError('PUSH_STREAM_CONCURRENCY', `must be at most PUSH_CONCURRENCY (${concurrency})`);
  return {
    worker: readBool(env, 'PUSH_WORKER', true),
    maxAttempts: readInt(env, 'PUSH_MAX_ATTEMPTS', 8, 1, 100),
    baseDelayMs,
    maxDelayMs,
    pauseAfterFailures: readInt(env, 'PUSH_PAUSE_AFTER_FAILURES', 20, 1, 1_000_000),
    scanIntervalMs: readInt(env, 'PUSH_SCAN_INTERVAL_MS', 1000, 10, 600_000),
    leaseMs,
    timeoutMs,
    concurrency,
    streamConcurrency,
    allowInsecure: readBool(env, 'ALLOW_INSECURE_PUSH', false),
    allowedPrivateCidrs: readCidrs(env, 'PUSH_ALLOWED_PRIVATE_CIDRS'),
  };
}

export interface StreamsConfig {
  /** SSF_MAX_STREAMS_PER_PARTNER: most streams one partner may own. */
  maxPerPartner: number;
  /** SSF_MAX_SUBJECTS_PER_STREAM: most subjects one stream may watch. */
  maxSubjectsPerStream: number;
  /** DELIVERY_PAUSED_CAP: most notices held for a paused stream; beyond it the oldest held are dropped. */
  pausedCap: number;
  /** SSF_MIN_VERIFICATION_INTERVAL_SECONDS: the min_verification_interval of new streams. */
  minVerificationIntervalSeconds: number;
  /** ALLOW_INSECURE_PUSH: a push endpoint_url may be plain http to a loopback host (development and tests). */
  allowInsecurePush: boolean;
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

/**
 * GATEWAY_ISSUER: an http(s) URL without query, fragment or credentials (SSF 1.0 section 7: the
 * issuer is a URL the metadata is served under). Production requires https; elsewhere the default
 * `http://localhost:PORT` works on a fresh machine.
 */
function readIssuer(env: Env, port: number, production: boolean): string {
  const raw = env.GATEWAY_ISSUER?.trim();
  const given = raw !== undefined && raw !== '';
  if (!given && production) {
    throw new ConfigError('GATEWAY_ISSUER', 'must be set to the https URL partners reach the gateway at when NODE_ENV=production (e.g. https://gateway.example.com)');
  }
  const value = given ? raw : `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('GATEWAY_ISSUER', `must be a URL such as https://gateway.example.com, got "${value.slice(0, 80)}"`);
  }
  if (url.protocol !== 'https:' && (production || url.protocol !== 'http:')) {
    throw new ConfigError('GATEWAY_ISSUER', production ? `must be an https URL when NODE_ENV=production, got "${url.protocol}//"` : `must be an http or https URL, got "${url.protocol}//"`);
  }
  if (url.search || url.hash || url.username || url.password || value.includes('?') || value.includes('#')) {
    throw new ConfigError('GATEWAY_ISSUER', 'must have no query, fragment or credentials');
  }
  return url.toString().replace(/\/+$/, '');
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
  const port = readInt(env, 'PORT', 4000, 0, 65535);
  const nodeEnv = env.NODE_ENV?.trim() || 'development';
  return {
    databaseUrl: readDatabaseUrl(env),
    dataDir,
    port,
    host,
    audience: readName(env, 'GATEWAY_AUDIENCE', 'risk-exchange'),
    issuer: readIssuer(env, port, nodeEnv === 'production'),
    logLevel: logLevel as LogLevel,
    migrationsRun: readBool(env, 'MIGRATIONS_RUN', true),
    gatewayKeyFile: keyFile,
    gatewayRsaKeyFile: env.GATEWAY_RSA_KEY_FILE?.trim() ? path.resolve(env.GATEWAY_RSA_KEY_FILE) : undefined,
    streams: {
      maxPerPartner: readInt(env, 'SSF_MAX_STREAMS_PER_PARTNER', 20, 1, 1000),
      maxSubjectsPerStream: readInt(env, 'SSF_MAX_SUBJECTS_PER_STREAM', 1_000_000, 1, 100_000_000),
      pausedCap: readInt(env, 'DELIVERY_PAUSED_CAP', 10_000, 0, 10_000_000),
      minVerificationIntervalSeconds: readInt(env, 'SSF_MIN_VERIFICATION_INTERVAL_SECONDS', 30, 0, 86_400),
      allowInsecurePush: readBool(env, 'ALLOW_INSECURE_PUSH', false),
    },
    operatorJwks: readOperatorJwks(env),
    metricsToken,
    nodeEnv,
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
    accessTokenTtlSeconds: readInt(env, 'ACCESS_TOKEN_TTL_SECONDS', 300, 30, 3600),
    pollMaxWaitMs: readInt(env, 'POLL_MAX_WAIT_MS', 25_000, 0, 55_000),
    pollMaxEvents: readInt(env, 'POLL_MAX_EVENTS', 100, 1, 1000),
    deliveryMaxWaitersPerPartner: readInt(env, 'DELIVERY_MAX_WAITERS_PER_PARTNER', 50, 1, 100_000),
    deliveryMaxWaiters: readInt(env, 'DELIVERY_MAX_WAITERS', 5000, 1, 1_000_000),
    wsSessionCheckMs: readInt(env, 'WS_SESSION_CHECK_MS', 5000, 100, 60_000),
    push: readPushConfig(env),
    legal: {
      minApprovals: readInt(env, 'LEGAL_MIN_APPROVALS', 2, 2, 10),
      disclosureDays: readInt(env, 'LEGAL_DISCLOSURE_DAYS', 30, 1, 3650),
      sweepSeconds: readInt(env, 'LEGAL_SWEEP_SECONDS', 60, 0, 86_400),
    },
    verifyWorkers: readInt(env, 'VERIFY_WORKERS', defaultVerifyWorkers(), 0, 64),
    management: readManagementConfig(env, port, host),
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
