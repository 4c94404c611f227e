// The model card: a plain statement of what the loaded model can and cannot do, its numbers, and the
// package's own MODEL_CARD.md when it has one.
import { useEffect, useState } from 'react';
import { readModelCard } from '../../app/modelLoader';
import { useModel } from '../../state/model';
import { useView, viewActions } from '../../state/view';
import { Dialog } from '../common/Dialog';
import { formatSize } from '../format';
import { Markdown } from './Markdown';

export function ModelCardDialog() {
  const open = useView((s) => s.dialog === 'model-card');
  const model = useModel((m) => (m.kind === 'ready' ? m.info : null));
  const [card, setCard] = useState<string | null>(null);
  useEffect(() => {
    if (!open || !model) return;
    let live = true;
    setCard(null);
    readModelCard(model).then((t) => { if (live) setCard(t); }, () => { if (live) setCard(''); });
    return () => { live = false; };
  }, [open, model]);
  if (!open || !model) return null;
  const synthetic = /synthetic/i.test(model.name);
  return (
    <Dialog label="Model card" onClose={() => viewActions.openDialog(null)} className="model-card">
      <p className="lead"><strong>{model.name}</strong> ({model.modelId}), loaded from {model.source}.</p>
      {synthetic && (
        <div className="notice" data-testid="model-scope">
          <p><strong>What it can do:</strong> answer questions about, caption and search pictures of its synthetic world:
            coloured shapes (circles, squares, triangles…) on a grid, with signs showing a letter or digit.</p>
          <p><strong>What it cannot do:</strong> understand real photos. It has never seen one, so its answers and
            search results for real photos are meaningless. Real photos need a real model package
            (Settings → Load a model folder).</p>
        </div>
      )}
      <dl className="facts">
        <div><dt>Summary tokens per photo (K)</dt><dd>{model.K}{model.nestedK.length > 1 ? ` (answers also from ${model.nestedK.filter((k) => k !== model.K).join(', ')})` : ''}</dd></div>
        <div><dt>Token size (d)</dt><dd>{model.d}</dd></div>
        <div><dt>Stored per photo</dt><dd>{formatSize(model.bytesPerPhoto)} (fp16)</dd></div>
        <div><dt>Quantization</dt><dd>{Object.entries(model.quantization).map(([k, v]) => `${k} ${v}`).join(', ')}</dd></div>
      </dl>
      {card === null ? <p className="muted">Reading the model card…</p>
        : card === '' ? <p className="muted">This package has no model card.</p>
          : <section aria-label="The package's model card"><Markdown text={card} /></section>}
    </Dialog>
  );
}
