// A progress bar while a model loads; nothing otherwise.
import { useAppStore } from '../state/store';

export function ModelLoadProgress() {
  const load = useAppStore((s) => s.modelLoad);
  if (!load) return null;
  const { loaded, total, text } = load.progress;
  const known = typeof loaded === 'number' && typeof total === 'number' && total > 0;
  return (
    <section className="panel" aria-labelledby="model-load-heading">
      <h2 id="model-load-heading">Loading model {load.modelId}</h2>
      <progress aria-labelledby="model-load-heading" {...(known ? { value: loaded, max: total } : {})} />
      <p>{text}</p>
    </section>
  );
}
