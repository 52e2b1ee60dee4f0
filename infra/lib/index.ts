export type { LaunchGuardrails } from '../../src/providers/ec2/guardrails.js';
export { EXTERNAL_MODULES, HANDLER_NAMES, HANDLER_RUNTIME, type HandlerName } from './bundling.js';
export { InfraKitController, type InfraKitControllerProps } from './controller.js';
export type { HandlerLogLevel } from './env.js';
export type { ApiThrottle } from './http-api.js';
export type { HttpsPluginProps, InfraKitPluginProps, LambdaPluginProps } from './infrakit-plugins.js';
export { InfraKitStack, type InfraKitStackProps } from './stack.js';
