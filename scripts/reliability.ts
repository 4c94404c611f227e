// Writes docs/RELIABILITY.md from test/reliability/*.faults.ts (the reliability registry).
//   npx tsx scripts/reliability.ts           regenerate the document (after checking the rows)
//   npx tsx scripts/reliability.ts --check   exit 1 when the document is out of date or a row is wrong
// test/unit/reliability.test.ts runs the same checks in `npm test`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { checkFaults, documentPath, loadFaults, REGENERATE, renderReliability, repoRoot } from '../test/reliability/render';

const check = process.argv.includes('--check');
const faults = await loadFaults();
const problems = checkFaults(faults);
if (problems.length) {
  console.error(`The reliability registry has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const text = renderReliability(faults);
const rel = documentPath.slice(repoRoot.length + 1);
const current = existsSync(documentPath) ? readFileSync(documentPath, 'utf8') : null;
if (check) {
  if (current !== text) {
    console.error(`${rel} is out of date: run \`${REGENERATE}\`.`);
    process.exit(1);
  }
  console.log(`${rel} is up to date (${faults.length} faults).`);
} else if (current === text) {
  console.log(`${rel} is up to date (${faults.length} faults).`);
} else {
  writeFileSync(documentPath, text);
  console.log(`wrote ${rel} (${faults.length} faults).`);
}
