// A model package folder read into memory (path relative to the folder -> bytes), for memorySource in tests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function walk(d: string): string[] {
  return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
}

export function readPackageFolder(dir: string): Map<string, Uint8Array> {
  return new Map(walk(dir).map((p) => [relative(dir, p), new Uint8Array(readFileSync(p))]));
}
