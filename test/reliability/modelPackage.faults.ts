// Model packages that are wrong or change under the app: what the loader and the engine do.
import type { Fault } from './registry';

const LAZY = 'test/unit/engine/lazyLayers.test.ts';
const MANIFEST = 'test/unit/model/manifest.test.ts';

export const faults: Fault[] = [
  {
    id: 'package-newer-format',
    area: 'Model package',
    fault: 'A model package exported for a newer format version than this app reads',
    outcome: 'Refused before anything is read: the error names manifest.json\'s field "formatVersion", says which versions this app reads (1 to 2) and to update the app',
    test: { file: MANIFEST, name: 'a newer format version is refused with an update hint' },
  },
  {
    id: 'package-shared-weights-unlisted',
    area: 'Model package',
    fault: 'A manifest whose graphs name a shared weights file it does not list (no size, no sha256), or one outside the package',
    outcome: 'Refused by the manifest check, naming the field and the file, before any download',
    test: { file: MANIFEST, name: 'an external-data file must be a listed package file inside the package' },
  },
  {
    id: 'package-weights-changed-after-load',
    area: 'Model package',
    fault: 'The shared decoder weights file changes at the source after the model loaded, before the first attention map (which reads it again off WebGPU)',
    outcome: 'The attention map is refused with an error naming decoder_weights.bin and its sha256 mismatch; chat and indexing keep running on the loaded sessions; the next attention map reads the file again and works once it matches',
    test: { file: LAZY, name: 'a weights file changed since load is refused naming it; chat still works and the next map retries' },
  },
];
