import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { messageOf } from '../errors.js';
import { expireItems } from '../store/expire.js';

/** How often local mode expires items; TTL in AWS is no faster (it may take a day or two). */
export const LOCAL_EXPIRY_INTERVAL_MS = 60 * 60_000;

export interface Expiry {
  /** Stops the timer, and a pass under way after its current request, and waits for that. */
  stop(): Promise<void>;
}

/**
 * dynalite (and DynamoDB Local) have no TTL, so a controller running for weeks would keep every
 * event, instance index entry and done intent. This plays DynamoDB's TTL: a pass at start, then
 * one every `intervalMs`. Several controllers sharing a table may all run it; deletes are conditional.
 */
export function startExpiry(options: {
  client: DynamoDBClient;
  tableName: string;
  intervalMs?: number;
  report: (line: string) => void;
}): Expiry {
  let running: Promise<void> | undefined;
  const stopping = new AbortController();
  const pass = () => {
    if (stopping.signal.aborted) return;
    running ??= expireItems(options.client, options.tableName, Date.now(), stopping.signal)
      .then((n) => {
        if (n > 0) options.report(`expired ${n} old items (events, instance index, done intents)`);
      })
      .catch((err: unknown) => options.report(`expiry failed: ${messageOf(err)}`))
      .finally(() => {
        running = undefined;
      });
  };
  pass();
  const timer = setInterval(pass, options.intervalMs ?? LOCAL_EXPIRY_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}
