// First-run progress and the model's state: a progress bar while the package downloads and compiles,
// then what is loaded; on failure the reason, what to do, and Retry.
import { loadModel } from '../../app/modelLoader';
import { services } from '../../app/services';
import { useModel } from '../../state/model';

export function ModelStatus() {
  const model = useModel((m) => m);
  switch (model.kind) {
    case 'idle':
      return <p className="status status-unknown" data-testid="model-status" data-state="idle">No model loaded.</p>;
    case 'loading': {
      const p = model.progress;
      const known = p && typeof p.loaded === 'number' && typeof p.total === 'number' && p.total > 0;
      return (
        <div data-testid="model-status" data-state="loading">
          <p className="status status-probing" id="model-progress-label">
            Loading the model from {model.source}{p ? ` — ${p.phase}` : '…'}
          </p>
          <progress aria-labelledby="model-progress-label" {...(known ? { value: p.loaded, max: p.total } : {})} />
          <p className="muted" aria-live="polite">{p?.text ?? 'Starting…'}</p>
        </div>
      );
    }
    case 'ready': {
      const { info } = model;
      return (
        <p className="status status-webgpu" data-testid="model-status" data-state="ready" data-model-id={info.modelId}>
          {info.name} is ready ({info.modelId}, K = {info.K}, runs on {info.device}).
        </p>
      );
    }
    case 'failed':
      return (
        <div data-testid="model-status" data-state="failed" role="alert">
          <p className="status status-failed">The model from {model.source} did not load. {model.name}: {model.message}</p>
          {model.hint && <p className="error-hint">What to do: {model.hint}</p>}
          <button type="button" onClick={() => void loadModel({ kind: 'url', url: services.modelUrl })}>Try again</button>
        </div>
      );
    case 'unavailable':
      return <p className="status status-wasm" data-testid="model-status" data-state="unavailable">{model.reason}</p>;
  }
}
