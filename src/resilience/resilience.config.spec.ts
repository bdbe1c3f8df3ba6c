import { ConfigError } from '../config/config';
import { loadResilienceConfig } from './resilience.config';

describe('loadResilienceConfig', () => {
  it('refuses a bad value naming the variable, and reads good ones', () => {
    expect(() => loadResilienceConfig({ OVERLOAD_MAX_INFLIGHT_COST: 'lots' })).toThrow(new ConfigError('OVERLOAD_MAX_INFLIGHT_COST', 'must be an integer, got "lots"'));
    expect(() => loadResilienceConfig({ OVERLOAD_MAX_INFLIGHT_COST_PER_PARTNER: '0' })).toThrow(/OVERLOAD_MAX_INFLIGHT_COST_PER_PARTNER must be between 1 and/);
    expect(loadResilienceConfig({})).toMatchObject({ maxInflightCost: 1024, maxInflightCostPerPartner: 512, databaseStartTimeoutSeconds: 300, auditSpoolMaxEntries: 10_000 });
    expect(loadResilienceConfig({ OVERLOAD_MAX_INFLIGHT_COST: '64', DATABASE_START_TIMEOUT_SECONDS: '0' })).toMatchObject({ maxInflightCost: 64, databaseStartTimeoutSeconds: 0 });
  });
});
