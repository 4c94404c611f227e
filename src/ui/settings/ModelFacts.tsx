// Model info: id, K, d, quantization, bytes per photo, where it came from.
import { useModel } from '../../state/model';
import { formatSize } from '../format';

export function ModelFacts() {
  const model = useModel((m) => m);
  if (model.kind !== 'ready') return <p className="muted">No model is loaded{model.kind === 'loading' ? ' yet (loading…)' : ''}.</p>;
  const { info } = model;
  const rows: [string, string][] = [
    ['Name', info.name],
    ['Model id', info.modelId],
    ['Summary tokens (K)', `${info.K}${info.nestedK.length > 1 ? ` (nested: ${info.nestedK.join(', ')})` : ''}`],
    ['Token size (d)', String(info.d)],
    ['Quantization', Object.entries(info.quantization).map(([k, v]) => `${k}: ${v}`).join(', ')],
    ['Stored per photo', `${formatSize(info.bytesPerPhoto)} (2 × K × d bytes, fp16)`],
    ['Runs on', info.device],
    ['Loaded from', info.source],
  ];
  return (
    <dl className="facts" data-testid="model-facts">
      {rows.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
    </dl>
  );
}
