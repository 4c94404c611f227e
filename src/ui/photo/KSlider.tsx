// How many summary tokens the answer reads (K' of K), for models trained with nested K: fewer tokens,
// coarser answers. Shown only when the model supports more than one K'.
import { chatActions, useChat } from '../../state/chat';
import { useModel } from '../../state/model';
import { formatSize } from '../format';

export function KSlider() {
  const model = useModel((m) => (m.kind === 'ready' ? m.info : null));
  const k = useChat((s) => s.k);
  if (!model) return null;
  const options = [...new Set([...model.nestedK.filter((x) => x <= model.K), model.K])].sort((a, b) => a - b);
  if (options.length < 2) return null;
  const value = k !== null && options.includes(k) ? k : model.K;
  return (
    <div className="k-slider">
      <label htmlFor="k-slider">
        Summary tokens used: <output data-testid="k-value">{value}</output> of {model.K}
        <span className="muted"> ({formatSize(value * model.d * 2)})</span>
      </label>
      <input
        id="k-slider" type="range" min={0} max={options.length - 1} step={1} value={options.indexOf(value)}
        aria-valuetext={`${value} of ${model.K} summary tokens`}
        onChange={(e) => chatActions.setK(options[Number(e.target.value)])}
      />
      <div className="k-ticks" aria-hidden="true">{options.map((o) => <span key={o}>{o}</span>)}</div>
    </div>
  );
}
