// Delete this photo (and its tokens, thumbnail, original and chats), after asking once more.
import { deleteSelectedPhotos } from '../../app/libraryOps';
import { reportError } from '../../app/report';
import { ConfirmButton } from '../common/ConfirmButton';

export function DeletePhotoButton({ photoId }: { photoId: string }) {
  return (
    <ConfirmButton
      label="Delete photo" confirmLabel="Delete" question="Delete this photo and its chats?"
      onConfirm={async () => {
        try {
          await deleteSelectedPhotos([photoId]);
        } catch (e) {
          reportError(e, 'storage');
        }
      }}
    />
  );
}
