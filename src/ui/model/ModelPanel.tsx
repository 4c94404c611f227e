// "Model": the first-run progress (download, compile), what is loaded, and its model card.
import { ModelCardButton } from './ModelCardButton';
import { ModelStatus } from './ModelStatus';

export function ModelPanel() {
  return (
    <section className="panel" aria-labelledby="model-heading">
      <h2 id="model-heading">Model</h2>
      <ModelStatus />
      <div className="actions">
        <ModelCardButton />
      </div>
    </section>
  );
}
