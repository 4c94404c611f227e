// "Storage is full" as visible state: what was not saved, and what to do. Stays until dismissed or until a
// later write succeeds.
import { libraryActions, useLibrary } from '../../state/library';

export function StorageFullBanner() {
  const message = useLibrary((s) => s.storageFull);
  if (!message) return null;
  return (
    <section className="panel errors" role="alert" aria-labelledby="storage-full-heading" data-testid="storage-full">
      <h2 id="storage-full-heading">Storage is full</h2>
      <p>{message}</p>
      <button type="button" onClick={() => libraryActions.setStorageFull(null)}>Dismiss</button>
    </section>
  );
}
