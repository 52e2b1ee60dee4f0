/**
 * InfraKit's plugin protocol: the client (`plugins.ts`, over `rpc.ts`), plugin addresses and
 * discovery (`address.ts`, `discover.ts`), and the `infrakit` instance provider (`provider.ts`).
 */
export {
  defaultPluginsDir,
  type PluginAddress,
  type PluginEndpoint,
  parsePluginAddress,
} from './address.js';
export { discoverPluginObjects } from './discover.js';
export {
  isTransportError,
  PluginError,
  PluginMismatchError,
  PluginProtocolError,
  PluginRpcError,
  PluginTimeoutError,
  PluginUnavailableError,
} from './errors.js';
export {
  DEFAULT_CALL_TIMEOUT_MS,
  FlavorPlugin,
  InfrakitPlugins,
  type InfrakitPluginsOptions,
  InstancePlugin,
  type PluginAllocation,
  type PluginCallOptions,
  type PluginHealth,
  type PluginInstance,
  type PluginSpec,
} from './plugins.js';
export { runLimited } from './pool.js';
export { type InfrakitProperties, InfrakitPropertiesSchema, PluginAddressSchema } from './properties.js';
export { InfrakitProvider, type InfrakitProviderOptions, TAG_LAUNCHED_AT } from './provider.js';
export { FLAVOR_INTERFACE, fromWireTags, INSTANCE_INTERFACE, toWireTags } from './wire.js';
