// Command-line arguments: positionals and `--name value` / `--flag` options, nothing more.

export interface Args {
  positional: string[];
  options: Map<string, string | true>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseArgs(argv: readonly string[], flags: readonly string[] = []): Args {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (flags.includes(name)) options.set(name, true);
      else if (inline !== undefined) options.set(name, inline);
      else if (i + 1 < argv.length) options.set(name, argv[++i]);
      else throw new UsageError(`--${name} needs a value`);
    } else positional.push(a);
  }
  return { positional, options };
}

export function stringOpt(a: Args, name: string, fallback: string): string {
  const v = a.options.get(name);
  return typeof v === 'string' ? v : fallback;
}

export function numberOpt(a: Args, name: string, fallback: number, check: (n: number) => boolean = Number.isFinite): number {
  const v = a.options.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !check(n)) throw new UsageError(`--${name} ${String(v)} is not a valid value`);
  return n;
}

/** Refuses options the command does not know (typos would otherwise be ignored silently). */
export function onlyOptions(a: Args, known: readonly string[]): void {
  for (const k of a.options.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k} (known: ${known.map((x) => `--${x}`).join(', ')})`);
}
