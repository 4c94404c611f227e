// The reliability registry: every fault and bad input the project tries, what the app does about it,
// and the test that shows it. docs/RELIABILITY.md is generated from the `*.faults.ts` files in this
// folder, and a unit test fails when the document or a named test drifts from them.

export interface Fault {
  /** Stable id, kebab-case, unique across all files (e.g. "zero-byte-file"). */
  id: string;
  /** Area heading in the document, e.g. "Bad input", "Library import", "GPU", "Tab lifecycle", "Offline". */
  area: string;
  /** The fault or input tried, in a few words a user understands. */
  fault: string;
  /** What happens, as the test asserts it (the per-file status shown, what is kept, what recovers). */
  outcome: string;
  /** Where it is shown: repository-relative test file and the exact test name (the `it`/`test` title). */
  test: { file: string; name: string };
}
