#!/usr/bin/env -S npx tsx
/**
 * Starts the service: `npm start -- --engine js`. Stops on SIGTERM/SIGINT: stop accepting,
 * finish in-flight requests, close native handles, exit 0 (or 1 if the grace period ran out).
 */
import { ConfigError, type ServiceConfig, loadConfig } from './config.ts';
import { buildApp } from './app.ts';
import { createImplementation } from './implementations.ts';

let config: ServiceConfig;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  const help = process.argv.includes('--help') || process.argv.includes('-h');
  (help ? console.log : console.error)(error.message);
  process.exit(help ? 0 : 2);
}

const implementation = await createImplementation(config.implementation);
const { fastify, limiter, openCounters } = buildApp(config, implementation);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  const started = Date.now();
  fastify.log.info({ signal, active: limiter.active, queued: limiter.queued }, 'shutting down');
  const timer = setTimeout(() => {
    fastify.log.error({ timeoutMs: config.shutdownTimeout }, 'in-flight requests did not finish in time; exiting');
    fastify.server.closeAllConnections();
    process.exit(1);
  }, config.shutdownTimeout);
  timer.unref();
  try {
    await fastify.close(); // stops accepting, waits for in-flight requests
  } finally {
    for (const counter of openCounters) counter.close();
    implementation.close();
  }
  fastify.log.info({ ms: Date.now() - started }, 'stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  const address = await fastify.listen({ host: config.host, port: config.port });
  fastify.log.info({ engine: implementation.name, source: implementation.source, address, config }, 'mylib service ready');
} catch (error) {
  fastify.log.fatal({ err: error }, 'could not start');
  implementation.close();
  process.exit(1);
}
