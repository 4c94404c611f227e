// Bad files given to "Add photos" (drop, file picker, paste): what the import report and the gallery show.
import type { Fault } from './registry';

const e2e = 'test/e2e/badInput.e2e.test.ts';
const dropTest = { file: e2e, name: 'one drop of bad and good files: a reason for each bad file, the others added, nothing lost' };

export const faults: Fault[] = [
  {
    id: 'zero-byte-file', area: 'Bad input', fault: 'An empty (0-byte) file named .jpg, dropped with good photos',
    outcome: 'Its own line in the import report: "The file is empty (0 bytes), so there is no picture in it. Copy it again…"; the other files of the drop are added and indexed, and the photos already in the library stay indexed.',
    test: dropTest,
  },
  {
    id: 'truncated-jpeg', area: 'Bad input', fault: 'A JPEG cut short (no end marker)',
    outcome: 'Listed as "The file is cut short (truncated)… (The JPEG has no end marker.)" instead of being indexed as a half-grey photo (browsers decode it without complaint).',
    test: dropTest,
  },
  {
    id: 'text-named-jpg', area: 'Bad input', fault: 'A text file named .jpg (the browser reports image/jpeg)',
    outcome: 'Listed as "Not a photo: the file holds text, although its name ends in .jpg", from its first bytes, before any decode.',
    test: dropTest,
  },
  {
    id: 'svg-drawing', area: 'Bad input', fault: 'An SVG drawing (image/svg+xml)',
    outcome: 'Listed as "Unsupported format: SVG. SVG is a vector drawing, not a photo; export it as PNG or JPEG…".',
    test: dropTest,
  },
  {
    id: 'heic-photo', area: 'Bad input', fault: 'An iPhone HEIC photo (no browser here decodes HEIC)',
    outcome: 'Listed as "Unsupported format: HEIC. This browser cannot decode HEIC/HEIF photos (the iPhone camera format). Convert it to JPEG…", recognised by its ftyp brand.',
    test: dropTest,
  },
  {
    id: 'other-undecodable-formats', area: 'Bad input', fault: 'TIFF or camera RAW, JPEG XL, Photoshop, PDF, ZIP or a video given as a photo',
    outcome: 'Each named in its reason ("Unsupported format: TIFF (or a camera RAW file)…") with what to do; AVIF, ICO and the usual formats go on to the decoder.',
    test: { file: 'src/app/fileChecks.test.ts', name: 'formats they do not, named' },
  },
  {
    id: 'huge-image-50mp', area: 'Bad input', fault: 'A 50-megapixel photo (8660 × 5774 JPEG)',
    outcome: 'Added and indexed: a 320 × 213 thumbnail with the right colours and the real size in the photo\'s facts; the page\'s JS heap + ArrayBuffers stay under 64 MiB throughout (never the 200 MB of decoded pixels); the engine scales it to 4× the model input before reading pixels.',
    test: { file: e2e, name: 'a 50-megapixel photo is scaled down: indexed, 320-pixel thumbnail, page heap bounded' },
  },
  {
    id: 'animated-gif', area: 'Bad input', fault: 'An animated GIF',
    outcome: 'Indexed from its first frame: thumbnail pixels match frame 1, the second frame\'s colour never appears.',
    test: { file: e2e, name: 'an animated GIF is read from its first frame' },
  },
  {
    id: 'cmyk-jpeg', area: 'Bad input', fault: 'A CMYK JPEG (Adobe marker, inverted, as Photoshop writes it)',
    outcome: 'Indexed in the right colours (red, green, blue, white quadrants checked in the thumbnail).',
    test: { file: e2e, name: 'a CMYK JPEG comes out in the right colours' },
  },
  {
    id: 'png-16-bit', area: 'Bad input', fault: 'A PNG with 16 bits per channel',
    outcome: 'Indexed in the right colours (quadrants checked in the thumbnail).',
    test: { file: e2e, name: 'a 16-bit PNG comes out in the right colours' },
  },
  {
    id: 'exif-orientation-6', area: 'Bad input', fault: 'A JPEG stored sideways with EXIF orientation 6',
    outcome: 'Thumbnail upright (32 × 64, red on top); the model input is upright too: "Find similar" ranks the same picture stored upright first, above the sideways copy.',
    test: { file: e2e, name: 'EXIF orientation 6: the thumbnail and the model input are upright' },
  },
  {
    id: 'bad-files-picked', area: 'Bad input', fault: 'Bad files chosen with the file picker, with a photo already in the library',
    outcome: 'The same per-file reasons as a drop; the duplicate is "skipped (already in the library)"; after a reload every photo is still there and indexed.',
    test: { file: e2e, name: 'the file picker gives the same per-file reasons, and a reload loses nothing' },
  },
  {
    id: 'thousand-files-at-once', area: 'Bad input', fault: '1,000 files (100 MB) dropped at once',
    outcome: 'All 1,000 added and queued; while they are read, clicks and key presses are handled and painted within 1 s (Event Timing), no main-thread task passes 2 s, and the page\'s JS heap + ArrayBuffers stay under 64 MiB.',
    test: { file: e2e, name: '1,000 files in one drop: clicks are answered while they are read, the heap stays bounded, all are queued' },
  },
];
