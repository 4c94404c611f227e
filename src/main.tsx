import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { engineForApp } from './app/engineAdapter';
import { modelUrlFromLocation } from './app/modelUrl';
import { startOfflineSupport } from './app/serviceWorker';
import { startApp } from './app/start';
import { getEngine } from './engine/client';
import { App } from './ui/App';
import './ui/app.css';

const rootEl = document.getElementById('root');
if (!rootEl) throw new Error('index.html has no #root element');
createRoot(rootEl).render(<StrictMode><App /></StrictMode>);

// Start the engine once, outside React; the client mirrors status and errors into the store.
getEngine().probe().catch(() => { /* already in the store as a displayed error */ });
// Open the photo library, resume the indexing queue and load the model (?model=/path/ or /models/default/).
void startApp({ engine: engineForApp(getEngine()), model: { kind: 'url', url: modelUrlFromLocation() } });
// Production builds: the service worker keeps the app and the model package usable offline (src/pwa/).
startOfflineSupport();
