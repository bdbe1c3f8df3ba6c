import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('has working defaults on a fresh machine', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ databaseUrl: undefined, port: 4000, audience: 'risk-exchange', issuer: 'risk-exchange-gateway', migrationsRun: true, logLevel: 'info' });
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
      GATEWAY_ISSUER: 'iss-x',
      LOG_LEVEL: 'debug',
      MIGRATIONS_RUN: 'false',
      GATEWAY_KEY_FILE: '/tmp/k.jwk',
      METRICS_TOKEN: 'a-long-enough-token',
      NODE_ENV: 'production',
    });
    expect(c).toMatchObject({ databaseUrl: 'postgres://u@h:5432/d', dataDir: '/tmp/rx', port: 8080, audience: 'aud-x', issuer: 'iss-x', logLevel: 'debug', migrationsRun: false, gatewayKeyFile: '/tmp/k.jwk', metricsToken: 'a-long-enough-token', nodeEnv: 'production' });
  });
});
