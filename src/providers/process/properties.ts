import * as z from 'zod';
import { parseWith } from '../../spec/validate.js';

/** `instance.properties` of the `process` provider. Unknown keys are errors. */
export const ProcessPropertiesSchema = z.strictObject({
  /** Executable to run, looked up on `PATH` (e.g. `sleep`, `node`, `/usr/bin/python3`). */
  command: z.string().min(1, 'must not be empty'),
  /** Arguments, passed as-is (no shell). @default [] */
  args: z.array(z.string()).max(1000).default([]),
  /**
   * Environment variables, layered over the few inherited from the controller (`INHERITED_ENV` in
   * `launch.ts`: PATH, HOME, locale…); the rest of the controller's environment is not passed on. @default {}
   */
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), z.string())
    .default({}),
  /** Working directory. @default the controller's working directory */
  cwd: z.string().min(1).optional(),
});

export type ProcessProperties = z.output<typeof ProcessPropertiesSchema>;

/** Validates and fills in defaults; throws `SpecValidationError` with paths relative to the properties. */
export function parseProcessProperties(value: unknown): ProcessProperties {
  return parseWith(ProcessPropertiesSchema, value);
}
