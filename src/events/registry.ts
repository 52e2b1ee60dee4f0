import type * as z from 'zod';
import { toFieldIssues } from '../spec/validate.js';
import type { EventDeps, EventOutcome } from './context.js';
import { EVENT_KINDS, type EventKind } from './kinds.js';
import { EnvelopeSchema } from './schemas/envelope.js';

/** The registry key of an event kind. */
export const registryKey = (source: string, detailType: string) => `${source}|${detailType}`;

/** Event kinds by `${source}|${detail-type}`. */
export function createRegistry(kinds: readonly EventKind[] = EVENT_KINDS): ReadonlyMap<string, EventKind> {
  return new Map(kinds.map((k) => [registryKey(k.source, k.detailType), k]));
}

const defaultRegistry = createRegistry();

/**
 * Handles one EventBridge event. Unknown events are ignored with a debug log; a known event whose
 * detail does not match its schema is ignored with a warning (retrying would not fix it). Failures
 * of the store or the engine propagate, so Lambda retries the event.
 */
export async function dispatchEvent(
  raw: unknown,
  deps: EventDeps,
  registry: ReadonlyMap<string, EventKind> = defaultRegistry,
): Promise<EventOutcome> {
  const envelope = EnvelopeSchema.safeParse(raw);
  if (!envelope.success) {
    deps.log?.warn('not an EventBridge event; ignored', { issues: toFieldIssues(envelope.error) });
    return {
      kind: 'unknown',
      action: 'ignored',
      reason: 'not an EventBridge event',
      groupIds: [],
      results: [],
    };
  }
  const event = envelope.data;
  const key = registryKey(event.source, event['detail-type']);
  const kind = registry.get(key);
  if (!kind) {
    deps.log?.debug('no handler for event; ignored', { key, id: event.id });
    return { kind: key, action: 'ignored', reason: 'no handler for this event', groupIds: [], results: [] };
  }
  const detail = kind.detail.safeParse(event.detail);
  if (!detail.success) {
    const issues = toFieldIssues(detail.error as z.ZodError, 'detail');
    deps.log?.warn('event detail does not match its schema; ignored', { key, id: event.id, issues });
    return { kind: key, action: 'ignored', reason: 'malformed detail', groupIds: [], results: [] };
  }
  const outcome = await kind.handle(detail.data, event, deps);
  deps.log?.debug('event handled', { key, id: event.id, action: outcome.action, groupIds: outcome.groupIds });
  return { kind: key, ...outcome };
}
