import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineDiff } from '../../src/console/app/diff.js';

describe("the console's spec diff", () => {
  it('keeps, removes and adds lines so that both texts can be read back from it', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'size: 2', 'size: 3', ''), { maxLength: 12 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        const before = a.join('\n');
        const after = b.join('\n');
        const diff = lineDiff(before, after);
        const side = (skip: string) =>
          diff
            .filter((l) => l.op !== skip)
            .map((l) => l.text)
            .join('\n');
        expect(side('+')).toBe(before);
        expect(side('-')).toBe(after);
      }),
    );
  });

  it('marks only what changed', () => {
    expect(lineDiff('id: web\nsize: 2\npaused: false', 'id: web\nsize: 3\npaused: false')).toEqual([
      { op: ' ', text: 'id: web' },
      { op: '-', text: 'size: 2' },
      { op: '+', text: 'size: 3' },
      { op: ' ', text: 'paused: false' },
    ]);
  });
});
