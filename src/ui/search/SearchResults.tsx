// Ranked hits with their cosine similarity; each opens the photo or finds photos like it.
import { useLibrary } from '../../state/library';
import { searchActions, useSearch } from '../../state/search';
import { viewActions } from '../../state/view';
import { formatScore, plural } from '../format';
import { Thumbnail } from '../gallery/Thumbnail';
import { FindSimilarButton } from './FindSimilarButton';

export function SearchResults() {
  const { status, hits, query, searched, message, ranking } = useSearch((s) => s);
  const photos = useLibrary((s) => s.photos);
  if (status === 'idle' || !query) return null;
  const title = query.kind === 'text'
    ? `Photos matching “${query.text}”`
    : `Photos like ${photos.get(query.photoId)?.name ?? 'the chosen photo'}`;
  return (
    <div className="search-results" data-testid="search-results" data-status={status} aria-busy={status === 'searching'}>
      <div className="row-between">
        <h3>{title}</h3>
        <button type="button" onClick={() => searchActions.clear()}>Clear</button>
      </div>
      {status === 'failed' && <p className="status-failed" role="alert">{message}</p>}
      {status === 'done' && hits.length === 0 && (
        <p className="muted">{searched === 0 ? 'No photo is indexed with this model yet.' : 'No photo is similar enough; lower the minimum similarity.'}</p>
      )}
      <ol className="hits">
        {hits.map((h, rank) => {
          const p = photos.get(h.photoId);
          return (
            <li key={h.photoId} data-photo-id={h.photoId} data-score={h.score}>
              <button type="button" className="hit-open" onClick={() => viewActions.openPhoto(h.photoId)} aria-label={`Open ${p?.name ?? 'photo'}, rank ${rank + 1}, similarity ${formatScore(h.score)}`}>
                <Thumbnail photoId={h.photoId} alt="" />
                <span className="hit-name">{p?.name ?? 'deleted photo'}</span>
                <span className="score">{formatScore(h.score)}</span>
              </button>
              <FindSimilarButton photoId={h.photoId} />
            </li>
          );
        })}
      </ol>
      {status === 'done' && hits.length > 0 && <p className="muted">Compared with {plural(searched, 'indexed photo')}.</p>}
      {status === 'done' && ranking && <p className="muted small" data-testid="search-ranking">Ranked by {ranking}.</p>}
    </div>
  );
}
