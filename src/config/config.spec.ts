import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('has working defaults on a fresh machine', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ databaseUrl: undefined, port: 4000, audience: 'risk-exchange', issuer: 'http://localhost:4000', migrationsRun: true, logLevel: 'info' });
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.verifyWorkers).toBe(Math.max(1, os.availableParallelism() - 1));
    expect(loadConfig({ VERIFY_WORKERS: '3' }).verifyWorkers).toBe(3);
    expect(loadConfig({ VERIFY_WORKERS: '0' }).verifyWorkers).toBe(0);
  });

  it.each([
    ['PORT', 'abc', /PORT must be an integer/],
    ['PORT', '70000', /PORT must be between 0 and 65535/],
    ['DATABASE_URL', 'mysql://x/y', /DATABASE_URL must start with postgres/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL is not a valid URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['MIGRATIONS_RUN', 'maybe', /MIGRATIONS_RUN must be true or false/],
    ['OPERATOR_JWKS', '{', /OPERATOR_JWKS is not valid JSON/],
    ['OPERATOR_JWKS', '{"keys":[]}', /OPERATOR_JWKS must be a JWKS/],
    ['GATEWAY_AUDIENCE', 'has space', /GATEWAY_AUDIENCE must be/],
    ['METRICS_TOKEN', 'short', /METRICS_TOKEN must be at least 16/],
    ['AUTH_CACHE_TTL_MS', '10000', /AUTH_CACHE_TTL_MS must be between/],
    ['GATEWAY_ISSUER', 'iss-x', /GATEWAY_ISSUER must be a URL/],
    ['GATEWAY_ISSUER', 'ftp://gateway.example.com', /GATEWAY_ISSUER must be an http or https URL/],
    ['GATEWAY_ISSUER', 'https://gateway.example.com/?a=1', /GATEWAY_ISSUER must have no query/],
    ['SSF_MAX_STREAMS_PER_PARTNER', '0', /SSF_MAX_STREAMS_PER_PARTNER must be between/],
    ['DELIVERY_PAUSED_CAP', 'many', /DELIVERY_PAUSED_CAP must be an integer/],
    ['ALLOW_INSECURE_PUSH', 'perhaps', /ALLOW_INSECURE_PUSH must be true or false/],
    ['VERIFY_WORKERS', 'many', /VERIFY_WORKERS must be an integer/],
    ['VERIFY_WORKERS', '65', /VERIFY_WORKERS must be between 0 and 64/],
  ])('refuses %s=%s, naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
    expect(() => loadConfig({})).not.toThrow();
  });

  it('reads every variable', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u@h:5432/d',
      DATA_DIR: '/tmp/rx',
      PORT: '8080',
      GATEWAY_AUDIENCE: 'aud-x',
      GATEWAY_ISSUER: 'https://gateway.example.com/',
      LOG_LEVEL: 'debug',
      MIGRATIONS_RUN: 'false',
      GATEWAY_KEY_FILE: '/tmp/k.jwk',
      METRICS_TOKEN: 'a-long-enough-token',
      NODE_ENV: 'production',
    });
    expect(c).toMatchObject({ databaseUrl: 'postgres://u@h:5432/d', dataDir: '/tmp/rx', port: 8080, audience: 'aud-x', issuer: 'https://gateway.example.com', logLevel: 'debug', migrationsRun: false, gatewayKeyFile: '/tmp/k.jwk', metricsToken: 'a-long-enough-token', nodeEnv: 'production' });
  });

  it('refuses a non-https GATEWAY_ISSUER in production, naming the variable, and takes an https one', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', GATEWAY_ISSUER: 'http://gateway.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', GATEWAY_ISSUER: 'http://gateway.example.com' })).toThrow(/^Invalid configuration: GATEWAY_ISSUER must be an https URL when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/GATEWAY_ISSUER must be set to the https URL/);
    // Outside production the http default (and an explicit http URL) stays usable.
    expect(loadConfig({ PORT: '8081' }).issuer).toBe('http://localhost:8081');
    expect(loadConfig({ GATEWAY_ISSUER: 'http://127.0.0.1:4000/' }).issuer).toBe('http://127.0.0.1:4000');
    expect(loadConfig({ NODE_ENV: 'production', GATEWAY_ISSUER: 'https://gateway.example.com/rx/' }).issuer).toBe('https://gateway.example.com/rx');
  });

  it('reads the stream limits, with documented defaults', () => {
    expect(loadConfig({}).streams).toEqual({ maxPerPartner: 20, maxSubjectsPerStream: 1_000_000, pausedCap: 10_000, minVerificationIntervalSeconds: 30, allowInsecurePush: false });
    expect(loadConfig({ SSF_MAX_STREAMS_PER_PARTNER: '3', DELIVERY_PAUSED_CAP: '5', ALLOW_INSECURE_PUSH: 'true' }).streams).toMatchObject({ maxPerPartner: 3, pausedCap: 5, allowInsecurePush: true });
  });
});
