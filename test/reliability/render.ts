// Renders docs/RELIABILITY.md from the registry rows (every `export const faults: Fault[]` of a
// `test/reliability/*.faults.ts` file) and checks the rows: unique kebab-case ids, and each row's test file
// holds a test with exactly that title. Used by scripts/reliability.ts (writes or checks the document) and
// test/unit/reliability.test.ts (fails when the document or a named test drifts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Fault } from './registry';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const registryDir = join(repoRoot, 'test/reliability');
export const documentPath = join(repoRoot, 'docs/RELIABILITY.md');
export const REGENERATE = 'npx tsx scripts/reliability.ts';

/** Areas in the order the document shows them; areas not listed follow, alphabetically. */
export const AREA_ORDER = ['Bad input', 'Library import', 'GPU', 'Tab lifecycle', 'Offline'];

/** The `*.faults.ts` files of the registry folder, sorted by name. */
export function faultFiles(dir = registryDir): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.faults.ts')).sort().map((f) => join(dir, f));
}

/** Every row of every `*.faults.ts` file (each must export `faults: Fault[]`), with the file it came from. */
export async function loadFaults(dir = registryDir): Promise<(Fault & { source: string })[]> {
  const all: (Fault & { source: string })[] = [];
  for (const file of faultFiles(dir)) {
    const mod = (await import(pathToFileURL(file).href)) as { faults?: unknown };
    if (!Array.isArray(mod.faults)) throw new Error(`${file} must export \`const faults: Fault[]\``);
    for (const f of mod.faults as Fault[]) all.push({ ...f, source: file.slice(repoRoot.length + 1) });
  }
  return all;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function areaRank(area: string): number {
  const i = AREA_ORDER.indexOf(area);
  return i < 0 ? AREA_ORDER.length : i;
}

/** A table cell: one line, pipes escaped. */
function cell(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
}

/** The whole document. Areas in AREA_ORDER then alphabetically; rows within an area by id. */
export function renderReliability(faults: readonly Fault[]): string {
  const areas = [...new Set(faults.map((f) => f.area))].sort((a, b) => areaRank(a) - areaRank(b) || byText(a, b));
  const out: string[] = [
    '# Reliability',
    '',
    '<!-- Generated from test/reliability/*.faults.ts by `' + REGENERATE + '`. Do not edit by hand. -->',
    '',
    'What fwd2bot-web does when things go wrong: bad files, damaged library files, a lost GPU, a closed tab,',
    'no network. Each row is one fault the tests really inject, what the app does about it (as the test',
    'asserts it), and the test that shows it. The rows live in `test/reliability/*.faults.ts` (one file per',
    'area of work; the type is `Fault` in `test/reliability/registry.ts`), and `test/unit/reliability.test.ts`',
    'fails when this document is out of date, when a row names a test that does not exist, or when two rows',
    'share an id.',
    '',
    `${faults.length} faults in ${areas.length} areas: ${areas.map((a) => `[${a}](#${anchor(a)})`).join(', ')}.`,
    '',
  ];
  for (const area of areas) {
    const rows = faults.filter((f) => f.area === area).sort((a, b) => byText(a.id, b.id));
    out.push(`## ${area}`, '', '| fault | what happens | test |', '|---|---|---|');
    for (const f of rows) {
      const file = f.test.file;
      const base = file.split('/').at(-1);
      out.push(`| ${cell(f.fault)} | ${cell(f.outcome)} | [${base}](../${file}): "${cell(f.test.name)}" |`);
    }
    out.push('');
  }
  out.push(
    '## Regenerating',
    '',
    'Add or change rows in `test/reliability/<area>.faults.ts` (an `export const faults: Fault[]`), then run',
    '',
    '```sh',
    REGENERATE,
    '```',
    '',
    'which rewrites this file (`' + REGENERATE + ' --check` only compares). The unit test',
    '`test/unit/reliability.test.ts` runs in `npm test` and says when this is needed.',
    '',
  );
  return out.join('\n');
}

/** GitHub's heading anchor for a simple heading. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}

// -------------------------------------------------------------------------------------------------------------
// Checks

/** The titles of the `test(...)` / `it(...)` calls in a test file whose title is a plain string literal. */
export function testTitles(source: string): string[] {
  const titles: string[] = [];
  const call = /\b(?:test|it)(?:\.(?:skip|only|concurrent|sequential|fails|todo))*\(\s*(['"`])((?:\\[\s\S]|(?!\1)[^\\])*)\1\s*,/g;
  for (const m of source.matchAll(call)) {
    const [, quote, body] = m;
    if (quote === '`' && body.includes('${')) continue; // computed title: cannot be named by a row
    titles.push(unescapeJs(body));
  }
  return titles;
}

function unescapeJs(s: string): string {
  return s.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\s\S])/g, (_, e: string) => {
    if (e[0] === 'u' && e.length > 1) return String.fromCodePoint(parseInt(e.replace(/[u{}]/g, ''), 16));
    if (e[0] === 'x' && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', '0': '\0', '\n': '' } as Record<string, string>)[e] ?? e;
  });
}

const ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Everything wrong with the rows (empty when they are fine). */
export function checkFaults(faults: readonly (Fault & { source?: string })[], root = repoRoot): string[] {
  const problems: string[] = [];
  const where = (f: Fault & { source?: string }) => `"${f.id}"${f.source ? ` (${f.source})` : ''}`;
  const seen = new Map<string, string>();
  const titlesOf = new Map<string, string[] | null>();
  for (const f of faults) {
    if (typeof f.id !== 'string' || !ID.test(f.id)) problems.push(`id ${JSON.stringify(f.id)} is not kebab-case`);
    const first = seen.get(f.id);
    if (first !== undefined) problems.push(`id ${where(f)} is used twice (also in ${first})`);
    else seen.set(f.id, f.source ?? '?');
    for (const k of ['area', 'fault', 'outcome'] as const) {
      if (typeof f[k] !== 'string' || f[k].trim() === '') problems.push(`${where(f)}: "${k}" is empty`);
    }
    const file = f.test?.file;
    if (typeof file !== 'string' || file === '') {
      problems.push(`${where(f)}: no test file`);
      continue;
    }
    if (!titlesOf.has(file)) {
      const path = join(root, file);
      titlesOf.set(file, existsSync(path) ? testTitles(readFileSync(path, 'utf8')) : null);
    }
    const titles = titlesOf.get(file);
    if (titles === null) problems.push(`${where(f)}: test file ${file} does not exist`);
    else if (!titles!.includes(f.test.name)) problems.push(`${where(f)}: ${file} has no test titled ${JSON.stringify(f.test.name)}`);
  }
  return problems;
}
