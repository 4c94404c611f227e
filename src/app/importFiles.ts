// "Add photos": files -> checks (type, content, whole) -> preparePhoto (hash, EXIF date, thumbnail) -> addPhotos in batches.
// A file that is not an image, is damaged or does not decode is listed with its reason and never stops the
// others. Storage full stops the import (what was added stays) and shows the storage-full banner.

import { importsActions, type ImportProblem, type ImportReport } from '../state/imports';
import { addPhotos, preparePhoto, type NewPhoto } from '../storage';
import { contentReason, damageReason, notAnImageReason } from './fileChecks';
import { isStorageFull, reasonOf, reportError } from './report';
import { requireLibrary } from './services';

const BATCH = 20;

/** Adds `files` to the library; the report also goes to the imports store. */
export async function importFiles(files: readonly File[], earlierProblems: ImportProblem[] = []): Promise<ImportReport> {
  const lib = requireLibrary();
  const report: ImportReport = { at: Date.now(), added: 0, duplicates: 0, requeued: 0, problems: [...earlierProblems] };
  let batch: NewPhoto[] = [];
  let stopped = false;
  const flush = async () => {
    if (batch.length === 0) return;
    const photos = batch;
    batch = [];
    try {
      for (const r of await addPhotos(lib, photos)) {
        if (r.outcome === 'added') report.added++;
        else if (r.outcome === 'requeued') report.requeued++;
        else {
          report.duplicates++;
        }
      }
    } catch (e) {
      const reason = isStorageFull(e) ? 'Not added: the browser storage for this site is full.' : `Not added: ${reasonOf(e)}`;
      for (const p of photos) report.problems.push({ name: p.name, reason });
      reportError(e, 'import');
      if (isStorageFull(e)) stopped = true;
    }
  };
  importsActions.progress(0, files.length);
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const name = file.webkitRelativePath || file.name;
    if (stopped) {
      report.problems.push({ name, reason: 'Not added: the browser storage for this site is full.' });
      continue;
    }
    const notImage = notAnImageReason(file);
    if (notImage) report.problems.push({ name, reason: notImage });
    else {
      try {
        const damage = (await contentReason(file)) ?? (await damageReason(file));
        if (damage) report.problems.push({ name, reason: damage });
        else batch.push(await preparePhoto(file, file.name));
      } catch (e) {
        report.problems.push({ name, reason: reasonOf(e) });
      }
    }
    if (batch.length >= BATCH) await flush();
    importsActions.progress(i + 1, files.length);
  }
  await flush();
  importsActions.finished(report);
  return report;
}
