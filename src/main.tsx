import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getEngine } from './engine/client';
import { App } from './ui/App';
import './ui/app.css';

const rootEl = document.getElementById('root');
if (!rootEl) throw new Error('index.html has no #root element');
createRoot(rootEl).render(<StrictMode><App /></StrictMode>);

// Start the engine once, outside React; the client mirrors status and errors into the store.
getEngine().probe().catch(() => { /* already in the store as a displayed error */ });
