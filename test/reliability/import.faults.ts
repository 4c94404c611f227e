// "Import library": an exported library file is untrusted input. What the importer does with damaged or
// hostile files, and what it never does (crash, hang, allocate from an unchecked size, touch what is stored).
import type { Fault } from './registry';

const fuzz = 'test/browser/storage/importFuzz.browser.test.ts';
const browser = 'test/browser/storage/exportImport.browser.test.ts';
const unit = 'test/unit/storage/libraryFile.test.ts';
const invariants = 'only LibraryFileError is ever thrown, each case ends in bounded time, every read lies inside the file, records already in the library stay byte-for-byte the same (a refused file changes nothing), and a partial import adds whole photos only';

export const faults: Fault[] = [
  {
    id: 'library-byte-flips', area: 'Library import', fault: 'Random byte flips in an exported library file (80 seeded cases)',
    outcome: `Damaged blobs are skipped with reasons and their photos re-queued or failed; a damaged header, trailer or manifest refuses the file; ${invariants}.`,
    test: { file: fuzz, name: 'byte flips anywhere in the file' },
  },
  {
    id: 'library-inserted-deleted-bytes', area: 'Library import', fault: 'Bytes inserted, deleted or cut off anywhere in the file (61 seeded cases)',
    outcome: `Refused as "not a readable fwd2bot library file (…)" or imported in part; ${invariants}.`,
    test: { file: fuzz, name: 'inserted and deleted bytes, and truncation' },
  },
  {
    id: 'library-truncated-every-byte', area: 'Library import', fault: 'The library file cut short at every byte',
    outcome: 'A LibraryFileError every time, never another error.',
    test: { file: unit, name: 'truncation at every byte boundary throws a clean LibraryFileError' },
  },
  {
    id: 'library-huge-trailer-lengths', area: 'Library import', fault: 'Manifest offset or length in the trailer set to huge or wrong values (up to 4 GiB)',
    outcome: 'Refused as a whole before any large read (the manifest must end where the trailer starts); nothing in the library changes.',
    test: { file: fuzz, name: 'huge and hostile length fields in the trailer' },
  },
  {
    id: 'library-huge-declared-lengths', area: 'Library import', fault: 'A 4 GiB manifest length, an 8 PiB file size, a 2 GiB blob, too many photos',
    outcome: 'Rejected ("too-large", or the blob skipped) with no read larger than the trailer.',
    test: { file: unit, name: 'huge declared lengths are rejected without reading or allocating them' },
  },
  {
    id: 'library-hostile-manifest', area: 'Library import', fault: 'Hostile manifest values with a valid checksum (huge or negative numbers, wrong types, long strings, lone surrogates, duplicated entries, blob references pointing at other blobs, broken JSON; 120 seeded cases)',
    outcome: `Invalid entries are skipped with reasons and the rest imported, or the file is refused; ${invariants}.`,
    test: { file: fuzz, name: 'hostile manifest values with a valid checksum' },
  },
  {
    id: 'library-hostile-blobs', area: 'Library import', fault: 'Token headers with huge K or d, bad version, dtype or model id length; damaged originals, thumbnails and embeddings; checksums fixed up (62 cases)',
    outcome: `Token blobs are rejected by their header before anything sized by K·d is allocated; an original whose SHA-256 is not the photo id is dropped; photos become pending or failed, never half indexed; ${invariants}.`,
    test: { file: fuzz, name: 'hostile blob contents with matching checksums (token headers, originals, embeddings)' },
  },
  {
    id: 'library-model-d-mismatch', area: 'Library import', fault: 'Tokens for the library\'s model with another hidden size d (K·d kept, so the token blob is valid in itself)',
    outcome: 'Those tokens are skipped ("their hidden size d = 8 differs from the library\'s d = 16 for this model"); the photo is re-queued (its original is there) or failed; each model keeps one d, so search never mixes shapes.',
    test: { file: browser, name: 'tokens whose d differs from the library\'s for the same model are skipped, never stored beside the others' },
  },
  {
    id: 'library-damaged-parts', area: 'Library import', fault: 'A damaged token blob and a damaged embedding (checksum mismatch)',
    outcome: 'Both skipped and reported; the photo without tokens or original is marked failed with what to do; the embedding is recomputed from intact tokens, identical to the original one.',
    test: { file: browser, name: 'damaged parts are skipped and reported; the photo becomes pending or failed, never half indexed' },
  },
  {
    id: 'library-not-a-library', area: 'Library import', fault: 'A file that is not a library at all (random bytes, an empty file)',
    outcome: 'Refused as a whole with a LibraryFileError that says which file to choose; the library is unchanged.',
    test: { file: browser, name: 'a file that is not a library is refused as a whole' },
  },
  {
    id: 'library-imported-twice', area: 'Library import', fault: 'The same library file imported twice',
    outcome: 'Nothing changes; every photo and chat is reported as already in the library.',
    test: { file: browser, name: 'importing the same file again changes nothing and reports duplicates' },
  },
  {
    id: 'library-import-storage-full', area: 'Library import', fault: 'Storage fills up in the middle of an import',
    outcome: 'The batches already stored stay (whole photos only) and the report says it stopped; importing the same file again after freeing space completes the library.',
    test: { file: browser, name: 'storage filling up mid-import keeps the batches already stored and reports where it stopped' },
  },
];
