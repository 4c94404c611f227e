// Overall indexing progress: a bar, "n of m indexed", what runs now and the time left.
import { countStatuses, useLibrary } from '../../state/library';
import { etaMs, useQueue, type QueueMode } from '../../state/queue';
import { formatDuration, plural } from '../format';

const MODE_TEXT: Record<QueueMode, string> = {
  'waiting-for-model': 'Waiting for the model to load.',
  idle: 'All photos are indexed.',
  running: 'Indexing…',
  pausing: 'Pausing after this photo…',
  paused: 'Paused.',
  'stopped-storage-full': 'Stopped: storage is full. Free some space, then try again.',
};

export function QueueProgress() {
  const c = countStatuses(useLibrary((s) => s.photos));
  const mode = useQueue((s) => s.mode);
  const current = useQueue((s) => s.current);
  const recent = useQueue((s) => s.recentMs);
  const queued = c.pending + c.indexing;
  const total = c.indexed + queued;
  const eta = mode === 'running' ? etaMs(recent, queued) : null;
  let line = MODE_TEXT[mode];
  if (mode === 'idle' && queued > 0) line = `${plural(queued, 'photo')} waiting (another tab may be indexing ${queued === 1 ? 'it' : 'them'}).`;
  if (mode === 'idle' && total === 0) line = 'Nothing to index yet.';
  return (
    <div className="queue-progress" data-testid="queue-progress" data-mode={mode} data-queued={queued}>
      <label htmlFor="queue-bar">{c.indexed} of {total} indexed{c.failed ? `, ${c.failed} failed` : ''}</label>
      <progress id="queue-bar" value={c.indexed} max={Math.max(1, total)} />
      <p className="muted" aria-live="polite">
        {line}
        {current && mode !== 'paused' ? ` Now: ${current.name}.` : ''}
        {eta !== null && queued > 0 ? ` About ${formatDuration(eta)} left.` : ''}
      </p>
    </div>
  );
}
