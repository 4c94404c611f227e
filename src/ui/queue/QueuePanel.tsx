// "Indexing": overall progress and ETA, pause / resume / cancel, and each queued or failed photo.
import { countStatuses, useLibrary } from '../../state/library';
import { QueueControls } from './QueueControls';
import { QueueList } from './QueueList';
import { QueueProgress } from './QueueProgress';
import { ReindexStaleButton } from './ReindexStaleButton';
import './queue.css';

export function QueuePanel() {
  const photos = useLibrary((s) => s.photos);
  const c = countStatuses(photos);
  return (
    <section className="panel" aria-labelledby="queue-heading">
      <h2 id="queue-heading">Indexing</h2>
      <QueueProgress />
      <QueueControls queued={c.pending + c.indexing} />
      <ReindexStaleButton stale={c.stale} />
      <QueueList />
    </section>
  );
}
