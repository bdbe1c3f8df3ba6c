import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config';
import { createApp } from './app.factory';
import { loadResilienceConfig } from './resilience/resilience.config';
import { createLogger } from './observability/logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    loadResilienceConfig(); // validated here too, so a bad limit stops the start with exit code 2
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const started = Date.now();
  const app = await createApp(config, logger);
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, ms: Date.now() - started }, `Risk Exchange gateway listening on http://localhost:${port} (GraphQL: POST /graphql)`);
}

main().catch((e: Error) => {
  process.stderr.write(`gateway failed to start: ${e.message}\n`);
  process.exit(1);
});
