// "Find similar": ranks the library against this photo's stored embedding.
import { runSearch } from '../../app/search';
import { useLibrary } from '../../state/library';
import { viewActions } from '../../state/view';

export function FindSimilarButton({ photoId, closeView = false }: { photoId: string; closeView?: boolean }) {
  const indexed = useLibrary((s) => s.photos.get(photoId)?.status === 'indexed');
  return (
    <button
      type="button" disabled={!indexed}
      title={indexed ? undefined : 'Only indexed photos can be compared.'}
      onClick={() => {
        if (closeView) viewActions.openPhoto(null);
        void runSearch({ kind: 'similar', photoId });
        document.getElementById('search-heading')?.scrollIntoView({ block: 'start' });
      }}
    >
      Find similar
    </button>
  );
}
