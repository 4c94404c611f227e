// Dropped folders are walked recursively (entries read in batches until empty, names in order); an entry
// that cannot be read is reported and the rest still come through. A drop with no entries falls back to
// dt.files.
import { expect, test } from 'vitest';
import { readDropped, takeDropped } from './collectFiles';

type Entry = FileSystemEntry;

function fileEntry(path: string, fail = false): Entry {
  const name = path.split('/').at(-1)!;
  return {
    isFile: true, isDirectory: false, name, fullPath: `/${path}`,
    file: (ok: (f: File) => void, err: (e: Error) => void) => (fail ? err(new Error('permission denied')) : ok(new File([path], name))),
  } as unknown as Entry;
}

function dirEntry(path: string, children: Entry[]): Entry {
  return {
    isFile: false, isDirectory: true, name: path.split('/').at(-1)!, fullPath: `/${path}`,
    createReader: () => {
      // Like Chromium: entries come in batches (here 2), then an empty batch.
      let at = 0;
      return { readEntries: (ok: (e: Entry[]) => void) => { const b = children.slice(at, at + 2); at += 2; ok(b); } };
    },
  } as unknown as Entry;
}

test('folders are walked recursively in name order; unreadable files are reported', async () => {
  const tree = dirEntry('trip', [
    fileEntry('trip/b.jpg'),
    dirEntry('trip/day1', [fileEntry('trip/day1/z.png'), fileEntry('trip/day1/a.png'), fileEntry('trip/day1/locked.png', true)]),
    fileEntry('trip/a.jpg'),
  ]);
  const { files, problems } = await readDropped([{ kind: 'entry', entry: tree }, { kind: 'file', file: new File(['x'], 'loose.png') }]);
  expect(files.map((f) => f.name)).toEqual(['a.jpg', 'b.jpg', 'a.png', 'z.png', 'loose.png']);
  expect(problems).toEqual([{ name: '/trip/day1/locked.png', reason: 'Could not be read: permission denied' }]);
});

test('takeDropped: a DataTransfer of files gives one item per file', () => {
  const dt = new DataTransfer();
  dt.items.add(new File(['1'], 'one.png', { type: 'image/png' }));
  dt.items.add(new File(['2'], 'two.png', { type: 'image/png' }));
  dt.items.add('some text', 'text/plain');
  const taken = takeDropped(dt);
  expect(taken).toHaveLength(2);
});
