import { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from '../log.js';

/** Default service name in logs and metrics when POWERTOOLS_SERVICE_NAME is not set. */
export const SERVICE_NAME = 'infrakit';

/**
 * A Powertools JSON logger. Its level comes from the environment (LOG_LEVEL /
 * POWERTOOLS_LOG_LEVEL, read by Powertools when constructed, i.e. inside a handler, never at import).
 */
export function createLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });
}

/** Adapts a Powertools logger to the `Log` port the API and the event handlers use. */
export function asLog(logger: Logger): Log {
  return {
    debug: (message, attributes) => logger.debug(message, attributes ?? {}),
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}
