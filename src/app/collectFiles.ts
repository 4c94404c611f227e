// Files from a drop (files and whole folders, recursively) or a paste. The DataTransfer's items are only
// readable during the event, so `takeDropped` grabs the entries synchronously and `readDropped` walks the
// folders afterwards.

type Dropped = { kind: 'entry'; entry: FileSystemEntry } | { kind: 'file'; file: File };

/** Call inside the drop/paste handler, before any await. */
export function takeDropped(dt: DataTransfer): Dropped[] {
  const out: Dropped[] = [];
  const items = dt.items ? [...dt.items] : [];
  for (const item of items) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) out.push({ kind: 'entry', entry });
    else {
      const file = item.getAsFile();
      if (file) out.push({ kind: 'file', file });
    }
  }
  if (out.length === 0) for (const file of dt.files ? [...dt.files] : []) out.push({ kind: 'file', file });
  return out;
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/** Every file of the drop, folders walked depth-first, in name order within a folder. */
export async function readDropped(dropped: Dropped[]): Promise<{ files: File[]; problems: { name: string; reason: string }[] }> {
  const files: File[] = [];
  const problems: { name: string; reason: string }[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    try {
      if (entry.isFile) files.push(await fileOf(entry as FileSystemFileEntry));
      else if (entry.isDirectory) {
        const children = await readAllEntries(entry as FileSystemDirectoryEntry);
        children.sort((a, b) => a.name.localeCompare(b.name));
        for (const c of children) await walk(c);
      }
    } catch (e) {
      problems.push({ name: entry.fullPath || entry.name, reason: `Could not be read: ${e instanceof Error ? e.message : String(e)}` });
    }
  };
  for (const d of dropped) {
    if (d.kind === 'file') files.push(d.file);
    else await walk(d.entry);
  }
  return { files, problems };
}
