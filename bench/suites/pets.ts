import { messageOf } from '../../src/errors.js';
import { runPetsTrial } from '../../test/e2e/pets-trial.js';
import { startDynalite } from '../../test/helpers/dynalite.js';
import { motoAvailable, startMoto } from '../../test/helpers/moto.js';
import { type BenchSuite, type FigureSpec, type Outcome, unmeasured } from '../types.js';

const REPLACEMENTS = 100;

/** What the issue names: over 100 crash-injected replacements, 0 duplicate volumes, 0 orphaned attachments, 0 lost. */
const FIGURES: readonly FigureSpec[] = [
  { name: `pets.trial.${REPLACEMENTS}.duplicate-volumes`, unit: 'count', goal: '0' },
  { name: `pets.trial.${REPLACEMENTS}.orphaned-attachments`, unit: 'count', goal: '0' },
  { name: `pets.trial.${REPLACEMENTS}.lost-volumes`, unit: 'count', goal: '0' },
  { name: `pets.trial.${REPLACEMENTS}.interface-or-address-faults`, unit: 'count', goal: '0' },
  { name: `pets.trial.${REPLACEMENTS}.open-intents`, unit: 'count', goal: '0' },
  { name: `pets.trial.${REPLACEMENTS}.crashes`, unit: 'count', goal: '>= 100 (crashes did land)' },
];

/**
 * The pets' crash-injection trial (`test/e2e/pets-trial.ts`) on moto: 100 replacements of a member
 * of a 3-pet group keeping a volume, an interface and an Elastic IP each, with crashes before engine
 * steps and around mutating EC2 calls.
 */
export const suite: BenchSuite = {
  name: 'pets',
  figures: FIGURES,
  timeoutMs: 12 * 60_000,
  async run(): Promise<Outcome[]> {
    if (!motoAvailable())
      return FIGURES.map((s) => unmeasured(s, 'moto server is not installed (python3 -m moto.server)'));
    const [moto, dynamo] = await Promise.all([startMoto(), startDynalite()]);
    try {
      const v = await runPetsTrial(moto.endpoint, dynamo, {
        replacements: REPLACEMENTS,
        seed: 0x9e7,
        crashRate: 0.35,
      });
      const crashes = v.crashes.step + v.crashes.beforeCall + v.crashes.afterCall;
      const values = [
        v.duplicateVolumes,
        v.orphanedAttachments,
        v.lostVolumes,
        v.interfaceOrAddressFaults,
        v.openIntents,
        crashes,
      ];
      process.stderr.write(`pets trial: ${JSON.stringify(v)}\n`);
      return FIGURES.map((spec, i) => ({ ...spec, value: values[i] ?? Number.NaN }));
    } catch (err) {
      return FIGURES.map((s) => unmeasured(s, messageOf(err)));
    } finally {
      await Promise.all([moto.stop(), dynamo.stop()]);
    }
  },
};
