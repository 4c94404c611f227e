// Opens the model card: what the loaded model can and cannot do.
import { useModel } from '../../state/model';
import { viewActions } from '../../state/view';

export function ModelCardButton() {
  const ready = useModel((m) => m.kind === 'ready');
  return (
    <button type="button" disabled={!ready} onClick={() => viewActions.openDialog('model-card')}>
      Model card
    </button>
  );
}
