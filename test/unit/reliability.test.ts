// docs/RELIABILITY.md is generated from test/reliability/*.faults.ts; this fails when the document is stale,
// when a row names a test file or test title that does not exist, or when two rows share an id.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Fault } from '../reliability/registry';
import { checkFaults, documentPath, faultFiles, loadFaults, REGENERATE, renderReliability, testTitles } from '../reliability/render';

const faults = await loadFaults();

describe('reliability registry', () => {
  test('docs/RELIABILITY.md is the generated text', () => {
    const current = existsSync(documentPath) ? readFileSync(documentPath, 'utf8') : '';
    const want = renderReliability(faults);
    if (current !== want) {
      expect.fail(`docs/RELIABILITY.md is out of date with test/reliability/*.faults.ts: run \`${REGENERATE}\` and commit the result.`);
    }
  });

  test('every row names an existing test file and a test with exactly that title', () => {
    expect(faultFiles().length).toBeGreaterThan(0);
    const missing = checkFaults(faults).filter((p) => !/kebab-case|used twice/.test(p));
    expect(missing, missing.join('\n')).toEqual([]);
  });

  test('ids are unique and kebab-case', () => {
    const problems = checkFaults(faults).filter((p) => /kebab-case|used twice/.test(p));
    expect(problems, problems.join('\n')).toEqual([]);
  });

  test('the checks catch a duplicate id, a missing file and a missing title; rendering is stable', () => {
    const row = (id: string, file: string, name: string, area = 'Bad input'): Fault => ({ id, area, fault: `f ${id}`, outcome: 'o | x', test: { file, name } });
    const rows = [
      row('b-row', 'test/unit/reliability.test.ts', 'ids are unique and kebab-case'),
      row('a-row', 'test/unit/reliability.test.ts', 'no such test'),
      row('a-row', 'test/unit/nope.test.ts', 'x', 'Zeta'),
      row('Bad_Id', 'test/unit/reliability.test.ts', 'ids are unique and kebab-case', 'GPU'),
    ];
    expect(checkFaults(rows).sort()).toEqual([
      '"a-row": test file test/unit/nope.test.ts does not exist',
      '"a-row": test/unit/reliability.test.ts has no test titled "no such test"',
      'id "Bad_Id" is not kebab-case',
      'id "a-row" is used twice (also in ?)',
    ]);
    const doc = renderReliability(rows);
    expect(renderReliability([...rows].reverse())).toBe(doc); // input order does not matter
    const headings = doc.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
    expect(headings).toEqual(['Bad input', 'GPU', 'Zeta', 'Regenerating']);
    expect(doc).toContain('| f a-row | o \\| x | [reliability.test.ts](../test/unit/reliability.test.ts): "no such test" |');
    expect(doc.indexOf('f a-row')).toBeLessThan(doc.indexOf('f b-row'));
  });

  test('test titles are read from string literals, escapes included', () => {
    const src = [
      "test('plain title', () => {});",
      'it("double \\"quoted\\"", async () => {});',
      "test('6. K\\' = 1', () => {});",
      'test.skip(`template`, () => {});',
      'test(`computed ${x}`, () => {});',
    ].join('\n');
    expect(testTitles(src)).toEqual(['plain title', 'double "quoted"', "6. K' = 1", 'template']);
  });
});
