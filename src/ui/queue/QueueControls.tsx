// Pause / resume / cancel the indexing queue. Pause lets the photo being indexed finish; cancel stops it
// and marks the queued photos "cancelled" (Retry queues them again).
import { services } from '../../app/services';
import { reportError } from '../../app/report';
import { useQueue } from '../../state/queue';
import { ConfirmButton } from '../common/ConfirmButton';

export function QueueControls({ queued }: { queued: number }) {
  const mode = useQueue((s) => s.mode);
  const paused = mode === 'paused' || mode === 'pausing';
  const stopped = mode === 'stopped-storage-full';
  return (
    <div className="actions" role="group" aria-label="Indexing controls">
      {paused || stopped ? (
        <button type="button" onClick={() => services.runner?.resume()}>{stopped ? 'Try again' : 'Resume'}</button>
      ) : (
        <button type="button" onClick={() => services.runner?.pause()} disabled={queued === 0 && mode !== 'running'}>Pause</button>
      )}
      <ConfirmButton
        label="Cancel" confirmLabel="Cancel indexing" disabled={queued === 0}
        question={`Stop indexing and mark ${queued} queued photo${queued === 1 ? '' : 's'} as cancelled?`}
        onConfirm={async () => {
          try {
            await services.runner?.cancel();
          } catch (e) {
            reportError(e, 'indexing');
          }
        }}
      />
    </div>
  );
}
