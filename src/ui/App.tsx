// The app shell. Components read the store; the engine is started by main.tsx.
import { BackendStatusPanel } from './BackendStatusPanel';
import { ErrorList } from './ErrorList';
import { ModelLoadProgress } from './ModelLoadProgress';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>Fwd2Bot photo memory</h1>
        <p className="tagline">Your photos, remembered on this device.</p>
      </header>
      <main className="app-main">
        <ErrorList />
        <BackendStatusPanel />
        <ModelLoadProgress />
      </main>
    </div>
  );
}
