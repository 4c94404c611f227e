// The app shell: status and model first, then adding photos, indexing, search, the gallery, and settings.
// Components read the stores; src/app/start.ts (called by main.tsx) opens the library and loads the model.
import { BackendStatusPanel } from './BackendStatusPanel';
import { ConnectionBanner } from './common/ConnectionBanner';
import { StorageFullBanner } from './common/StorageFullBanner';
import { ErrorList } from './ErrorList';
import { GalleryPanel } from './gallery/GalleryPanel';
import { ImportPanel } from './import/ImportPanel';
import { ModelCardDialog } from './model/ModelCardDialog';
import { ModelPanel } from './model/ModelPanel';
import { PhotoDialog } from './photo/PhotoDialog';
import { QueuePanel } from './queue/QueuePanel';
import { SearchPanel } from './search/SearchPanel';
import { SettingsPanel } from './settings/SettingsPanel';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>Fwd2Bot photo memory</h1>
        <p className="tagline">Your photos, remembered on this device.</p>
      </header>
      <main className="app-main">
        <ErrorList />
        <StorageFullBanner />
        <ConnectionBanner />
        <div className="grid-2">
          <BackendStatusPanel />
          <ModelPanel />
        </div>
        <div className="grid-3">
          <ImportPanel />
          <QueuePanel />
          <SearchPanel />
        </div>
        <GalleryPanel />
        <SettingsPanel />
      </main>
      <PhotoDialog />
      <ModelCardDialog />
    </div>
  );
}
