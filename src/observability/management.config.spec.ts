import { loadConfig } from '../config/config';

describe('configuration: the management port', () => {
  it('defaults to PORT+1 on HOST, a scrape every second and a 5 s heartbeat bound; off when PORT is 0 or 65535', () => {
    expect(loadConfig({ PORT: '4000', HOST: '10.0.0.5' }).management).toEqual({ port: 4001, host: '10.0.0.5', scrapeIntervalMs: 1000, heartbeatTimeoutMs: 5000 });
    expect(loadConfig({}).management.port).toBe(4001);
    expect(loadConfig({ PORT: '0' }).management.port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).management.port).toBe(0);
  });

  it('refuses a bad port, the main port, or bounds out of range, naming the variable', () => {
    expect(() => loadConfig({ MANAGEMENT_PORT: 'x' })).toThrow('Invalid configuration: MANAGEMENT_PORT must be an integer, got "x"');
    expect(() => loadConfig({ MANAGEMENT_PORT: '70000' })).toThrow('MANAGEMENT_PORT must be between 0 and 65535');
    expect(() => loadConfig({ PORT: '4000', MANAGEMENT_PORT: '4000' })).toThrow('MANAGEMENT_PORT must differ from PORT (4000)');
    expect(() => loadConfig({ MANAGEMENT_SCRAPE_INTERVAL_MS: '10' })).toThrow('MANAGEMENT_SCRAPE_INTERVAL_MS must be between 100 and 60000');
    expect(() => loadConfig({ MANAGEMENT_HEARTBEAT_TIMEOUT_MS: '100' })).toThrow('MANAGEMENT_HEARTBEAT_TIMEOUT_MS must be between 500 and 600000');
  });

  it('reads every variable; 0 turns the port off', () => {
    expect(loadConfig({ PORT: '4000', MANAGEMENT_PORT: '9100', MANAGEMENT_HOST: '127.0.0.1', MANAGEMENT_SCRAPE_INTERVAL_MS: '500', MANAGEMENT_HEARTBEAT_TIMEOUT_MS: '2000' }).management).toEqual({ port: 9100, host: '127.0.0.1', scrapeIntervalMs: 500, heartbeatTimeoutMs: 2000 });
    expect(loadConfig({ PORT: '4000', MANAGEMENT_PORT: '0' }).management.port).toBe(0);
  });
});
