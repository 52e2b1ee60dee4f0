import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthStack } from './support.js';

/** cfn-lint flags CDK's redundant DependsOn (W3005); that is CDK's doing and harmless. */
const ALLOWED = new Set(['W3005']);

function cfnLintAvailable(): boolean {
  const probe = spawnSync('cfn-lint', ['--version'], { stdio: 'ignore', timeout: 30_000 });
  const available = probe.status === 0;
  if (!available && process.env.CI === 'true') {
    throw new Error('cfn-lint is required when CI=true, but `cfn-lint --version` failed on this machine');
  }
  if (!available)
    console.warn('cfn-lint not found: skipping the CloudFormation lint of the synthesized template');
  return available;
}

interface Finding {
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Location: { readonly Path: readonly (string | number)[] };
}

describe.runIf(cfnLintAvailable())('cfn-lint', () => {
  it('finds nothing in the synthesized template but W3005', () => {
    const synth = synthStack({ props: { instanceRoleArns: ['arn:aws:iam::123456789012:role/web'] } });
    const dir = mkdtempSync(join(tmpdir(), 'infrakit-cfn-lint-'));
    try {
      const file = join(dir, 'InfraKit.template.json');
      writeFileSync(file, JSON.stringify(synth.template.toJSON(), null, 1));
      const run = spawnSync('cfn-lint', ['--format', 'json', file], { encoding: 'utf8', timeout: 120_000 });
      // Exit codes are a bitmask of error (2), warning (4) and info (8); 1 means cfn-lint itself failed.
      expect(run.status === null || (run.status & 1) === 1, run.stderr).toBe(false);
      const findings = JSON.parse(run.stdout || '[]') as Finding[];
      const unexpected = findings
        .filter((f) => !ALLOWED.has(f.Rule.Id))
        .map((f) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`);
      expect(unexpected).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      synth.cleanup();
    }
  });
});
