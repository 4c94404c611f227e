// Shows which compute backend the engine runs on (or why not WebGPU), live while it starts.
import { useAppStore } from '../state/store';
import { BackendDetails } from './BackendDetails';
import { describeBackend } from './describeBackend';

export function BackendStatusPanel() {
  const backend = useAppStore((s) => s.backend);
  let text: string;
  switch (backend.kind) {
    case 'unknown': text = 'Not checked yet'; break;
    case 'probing': text = `Checking… ${backend.progress?.text ?? 'starting the engine'}`; break;
    case 'ready': text = describeBackend(backend.status); break;
    case 'failed': text = `The engine did not start: ${backend.error.message}`; break;
  }
  const which = backend.kind === 'ready' ? backend.status.backend : undefined;
  return (
    <section className="panel" aria-labelledby="backend-heading">
      <h2 id="backend-heading">Compute backend</h2>
      <p
        className={`status status-${which ?? backend.kind}`}
        role="status"
        aria-live="polite"
        aria-busy={backend.kind === 'probing'}
        data-testid="backend-status"
        data-state={backend.kind}
        data-backend={which}
      >
        {text}
      </p>
      {backend.kind === 'ready' && <BackendDetails status={backend.status} />}
    </section>
  );
}
