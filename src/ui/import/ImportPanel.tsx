// "Add photos": drop zone, pickers, paste, the bundled samples, and the last import's report.
import { DropZone } from './DropZone';
import { ImportReportView } from './ImportReportView';
import { PickFilesButton } from './PickFilesButton';
import { PickFolderButton } from './PickFolderButton';
import { TrySamplesButton } from './TrySamplesButton';
import { usePasteImport } from './usePasteImport';
import './import.css';

export function ImportPanel() {
  usePasteImport();
  return (
    <section className="panel" aria-labelledby="import-heading">
      <h2 id="import-heading">Add photos</h2>
      <DropZone />
      <div className="actions">
        <TrySamplesButton />
        <PickFilesButton />
        <PickFolderButton />
      </div>
      <ImportReportView />
    </section>
  );
}
