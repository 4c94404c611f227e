// Delete the selected photos (with their tokens, thumbnails, originals and chats), after asking once more.
import { deleteSelectedPhotos } from '../../app/libraryOps';
import { reportError } from '../../app/report';
import { useView, viewStore } from '../../state/view';
import { ConfirmButton } from '../common/ConfirmButton';
import { plural } from '../format';

export function DeleteSelectedButton() {
  const n = useView((s) => s.selected.size);
  return (
    <ConfirmButton
      label={`Delete selected${n ? ` (${n})` : ''}`} confirmLabel={`Delete ${plural(n, 'photo')}`}
      question={`Delete ${plural(n, 'photo')} and their chats from this device?`} disabled={n === 0}
      onConfirm={async () => {
        try {
          await deleteSelectedPhotos([...viewStore.getState().selected]);
        } catch (e) {
          reportError(e, 'storage');
        }
      }}
    />
  );
}
