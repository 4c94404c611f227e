// "Settings and storage": the model, the compute backend, storage used, export / import, clear.
import { LoadModelFolderButton } from '../model/LoadModelFolderButton';
import { ModelCardButton } from '../model/ModelCardButton';
import { ClearDataButton } from './ClearDataButton';
import { ExportLibraryButton } from './ExportLibraryButton';
import { ImportLibraryButton } from './ImportLibraryButton';
import { KeepOriginalsToggle } from './KeepOriginalsToggle';
import { ModelFacts } from './ModelFacts';
import { StorageUsage } from './StorageUsage';

export function SettingsPanel() {
  return (
    <section className="panel settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings and storage</h2>
      <h3>Model</h3>
      <ModelFacts />
      <div className="actions">
        <ModelCardButton />
        <LoadModelFolderButton />
      </div>
      <h3>Storage</h3>
      <StorageUsage />
      <KeepOriginalsToggle />
      <div className="actions">
        <ExportLibraryButton />
        <ImportLibraryButton />
        <ClearDataButton />
      </div>
    </section>
  );
}
