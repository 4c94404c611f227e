// Retry indexing failed photos (their originals are kept until they are indexed).
import { retryFailed } from '../../app/libraryOps';
import { reportError } from '../../app/report';

export function RetryButton({ ids, label = 'Retry' }: { ids: string[]; label?: string }) {
  return (
    <button type="button" disabled={ids.length === 0} onClick={() => retryFailed(ids).catch((e: unknown) => reportError(e, 'indexing'))}>
      {label}
    </button>
  );
}
