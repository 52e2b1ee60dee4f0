import type { FlavorRegistry } from '../flavors/types.js';
import type { ProviderRegistry } from '../providers/types.js';
import type { Engine } from '../reconcile/types.js';
import type { GroupStore } from '../store/types.js';

/**
 * A structured logger as the API and the event handlers use it. Powertools' `Logger` fits it;
 * tests pass a silent or recording one. Attributes must never carry secrets.
 */
export interface Log {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLog: Log = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Asks for a reconcile of `groupIds` soon. In AWS it publishes a `Group Spec Changed` event to
 * EventBridge; in local mode it calls the engine directly. A failure is logged by the caller and
 * never undoes the change that triggered it: the next sweep picks the group up anyway.
 */
export type RequestReconcile = (groupIds: readonly string[], reason: string) => Promise<void>;

/** Everything the API needs, passed in (no SDK client or env read here). */
export interface ApiDeps {
  readonly store: GroupStore;
  readonly engine: Engine;
  readonly providers: ProviderRegistry;
  readonly flavors: FlavorRegistry;
  readonly requestReconcile: RequestReconcile;
  /** Injectable clock, epoch ms. */
  readonly now?: () => number;
  readonly log?: Log;
}
