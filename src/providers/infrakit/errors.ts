import { BackendError } from '../../errors.js';

/**
 * What can go wrong talking to an InfraKit plugin. Every failure throws one of these, naming the
 * plugin as the spec wrote it, where it was reached and the method: a caller never gets a partial
 * answer, and a group blocked by a plugin says which one and why.
 */

/** Where a call went, for messages: the plugin as written in the spec and the endpoint it resolved to. */
export interface PluginCallSite {
  /** The plugin as the spec names it (`simulator/compute`, `unix:///run/p.sock`, `http://…`). */
  readonly plugin: string;
  /** The endpoint it was reached at (`unix:///home/u/.infrakit/plugins/simulator`, `http://…`). */
  readonly endpoint: string;
  /** The JSON-RPC method (`Instance.Provision`, `Handshake.Hello`, …). */
  readonly method: string;
}

/** Base class: any failed call to a plugin. */
export class PluginError extends BackendError {
  readonly plugin: string;
  readonly endpoint: string;
  readonly method: string;
  constructor(site: PluginCallSite, what: string, options?: ErrorOptions) {
    super(`infrakit plugin ${site.plugin} (${site.endpoint}) ${site.method}: ${what}`, options);
    this.name = 'PluginError';
    this.plugin = site.plugin;
    this.endpoint = site.endpoint;
    this.method = site.method;
  }
}

/** The plugin could not be reached: no socket, nothing listening, the connection dropped. */
export class PluginUnavailableError extends PluginError {
  constructor(site: PluginCallSite, what: string, options?: ErrorOptions) {
    super(site, what, options);
    this.name = 'PluginUnavailableError';
  }
}

/** The plugin did not answer within the call's timeout. */
export class PluginTimeoutError extends PluginError {
  readonly timeoutMs: number;
  constructor(site: PluginCallSite, timeoutMs: number, options?: ErrorOptions) {
    super(site, `no answer within ${timeoutMs} ms`, options);
    this.name = 'PluginTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The plugin answered something that is not a well-formed JSON-RPC 2.0 answer of the expected shape. */
export class PluginProtocolError extends PluginError {
  constructor(site: PluginCallSite, what: string, options?: ErrorOptions) {
    super(site, `unexpected answer: ${what}`, options);
    this.name = 'PluginProtocolError';
  }
}

/** The plugin answered with a JSON-RPC error: `pluginMessage` is its own words. */
export class PluginRpcError extends PluginError {
  readonly code: number;
  readonly pluginMessage: string;
  constructor(site: PluginCallSite, code: number, pluginMessage: string, options?: ErrorOptions) {
    super(site, pluginMessage, options);
    this.name = 'PluginRpcError';
    this.code = code;
    this.pluginMessage = pluginMessage;
  }
}

/** The plugin does not serve the interface version or the object the spec names (`Handshake.Hello`). */
export class PluginMismatchError extends PluginError {
  constructor(site: PluginCallSite, what: string, options?: ErrorOptions) {
    super(site, what, options);
    this.name = 'PluginMismatchError';
  }
}

/** Errors that say nothing about the plugin's state, only that it could not be asked. */
export function isTransportError(err: unknown): boolean {
  return (
    err instanceof PluginUnavailableError ||
    err instanceof PluginTimeoutError ||
    err instanceof PluginProtocolError
  );
}
