import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { InfraKitControllerProps } from '../../infra/lib/controller.js';
import { InfraKitStack } from '../../infra/lib/stack.js';

/** A handler file that exists, for synths that skip bundling (NodejsFunction checks the entry exists). */
export const STUB_HANDLER = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));

/** Stub entries for all three handlers. */
export const STUB_ENTRIES = { api: STUB_HANDLER, reconcile: STUB_HANDLER, events: STUB_HANDLER };

export interface SynthOptions {
  readonly props?: InfraKitControllerProps;
  /** Bundle the real handlers with esbuild (default: skip bundling, stub entries). */
  readonly bundle?: boolean;
  /** Register cdk-nag AwsSolutionsChecks, whose findings make synth throw. */
  readonly nag?: boolean;
}

export interface Synthesized {
  readonly stack: InfraKitStack;
  readonly template: Template;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
  cleanup(): void;
}

/** Synthesizes the deployable stack offline into a temp dir (no credentials, no AWS). */
export function synthStack(options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'infrakit-cdk-'));
  const app = new App({
    outdir,
    // An empty list of bundling stacks makes NodejsFunction skip esbuild entirely.
    context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const handlerEntries = options.bundle ? undefined : STUB_ENTRIES;
  const stack = new InfraKitStack(app, 'InfraKit', { controller: { handlerEntries, ...options.props } });
  try {
    const assembly = app.synth();
    const template = Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
    return {
      stack,
      template,
      assembly,
      outdir,
      cleanup: () => rmSync(outdir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(outdir, { recursive: true, force: true });
    throw err;
  }
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Logical ID of the one resource of `type` whose logical ID starts with `prefix` (CDK adds a hash). */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} named ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

/** One IAM policy statement, as CloudFormation has it. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the inline policies attached to the role of the function `fnPrefix`. */
export function functionStatements(template: Template, fnPrefix: string): Statement[] {
  const fnId = logicalId(template, 'AWS::Lambda::Function', fnPrefix);
  const role = (template.toJSON().Resources as Resources)[fnId]?.Properties?.Role as
    | { 'Fn::GetAtt': [string, string] }
    | undefined;
  if (role === undefined) throw new Error(`function ${fnId} has no role`);
  const roleId = role['Fn::GetAtt'][0];
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap(
    (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
  );
}

/** Every statement of every inline policy in the template. */
export function allStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
  );
}

/** A statement's actions as a list. */
export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
