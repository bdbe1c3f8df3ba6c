import { ConfigError, loadConfig } from '../../config/config';

describe('push configuration', () => {
  it('has defaults that need nothing set: the worker on, 8 attempts, 5 s timeout, https only', () => {
    expect(loadConfig({}).push).toEqual({
      worker: true, maxAttempts: 8, baseDelayMs: 5000, maxDelayMs: 600_000, pauseAfterFailures: 20, scanIntervalMs: 1000,
      leaseMs: 60_000, timeoutMs: 5000, concurrency: 128, streamConcurrency: 64, allowInsecure: false, allowedPrivateCidrs: [],
    });
  });

  it('reads every variable', () => {
    const env = {
      PUSH_WORKER: 'false', PUSH_MAX_ATTEMPTS: '3', PUSH_BASE_DELAY_MS: '10', PUSH_MAX_DELAY_MS: '100', PUSH_PAUSE_AFTER_FAILURES: '4', PUSH_SCAN_INTERVAL_MS: '50',
      PUSH_LEASE_MS: '3000', PUSH_TIMEOUT_MS: '1000', PUSH_CONCURRENCY: '4', PUSH_STREAM_CONCURRENCY: '2', ALLOW_INSECURE_PUSH: 'true', PUSH_ALLOWED_PRIVATE_CIDRS: '10.1.0.0/16, fd00:1::/32',
    };
    expect(loadConfig(env).push).toEqual({
      worker: false, maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, pauseAfterFailures: 4, scanIntervalMs: 50,
      leaseMs: 3000, timeoutMs: 1000, concurrency: 4, streamConcurrency: 2, allowInsecure: true, allowedPrivateCidrs: ['10.1.0.0/16', 'fd00:1::/32'],
    });
  });

  it.each([
    ['PUSH_WORKER', 'sometimes', 'PUSH_WORKER must be true or false, got "sometimes"'],
    ['PUSH_MAX_ATTEMPTS', '0', 'PUSH_MAX_ATTEMPTS must be between 1 and 100, got 0'],
    ['PUSH_TIMEOUT_MS', '60000', 'PUSH_TIMEOUT_MS must be between 100 and 30000, got 60000'],
    ['PUSH_MAX_DELAY_MS', '1000', 'PUSH_MAX_DELAY_MS must be at least PUSH_BASE_DELAY_MS (5000)'],
    ['PUSH_STREAM_CONCURRENCY', '129', 'PUSH_STREAM_CONCURRENCY must be at most PUSH_CONCURRENCY (128)'],
    ['PUSH_LEASE_MS', '5000', 'PUSH_LEASE_MS must be at least twice PUSH_TIMEOUT_MS (10000)'],
    ['ALLOW_INSECURE_PUSH', 'yes please', 'ALLOW_INSECURE_PUSH must be true or false, got "yes please"'],
    ['PUSH_ALLOWED_PRIVATE_CIDRS', '10.0.0.0', 'PUSH_ALLOWED_PRIVATE_CIDRS must be a comma-separated list of CIDR ranges like 10.1.0.0/16,fd00::/8; got "10.0.0.0"'],
    ['PUSH_ALLOWED_PRIVATE_CIDRS', '10.0.0.0/33', 'got "10.0.0.0/33"'],
    ['PUSH_ALLOWED_PRIVATE_CIDRS', 'fd00::/129', 'got "fd00::/129"'],
    ['PUSH_ALLOWED_PRIVATE_CIDRS', 'example.com/8', 'got "example.com/8"'],
    ['PUSH_ALLOWED_PRIVATE_CIDRS', '10.0.0.0/8,fd00::1::2/64', 'got "fd00::1::2/64"'],
  ])('refuses %s=%s, naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
    expect(loadConfig({ [name]: '' }).push.maxAttempts).toBe(8);
  });
});
