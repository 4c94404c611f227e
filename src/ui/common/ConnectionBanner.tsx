// The library's connection when it is not simply open: another tab blocks an upgrade, a newer version took
// over (reload), the browser closed it, or it could not be opened at all.
import { useLibrary } from '../../state/library';

export function ConnectionBanner() {
  const status = useLibrary((s) => s.status);
  const connection = useLibrary((s) => s.connection);
  const message = useLibrary((s) => s.message);
  if (status !== 'failed' && (connection === 'open' || connection === 'connecting' || !message)) return null;
  return (
    <section className="panel notice-panel" role="alert" data-testid="connection-banner">
      <p>{message ?? 'The photo library is not available.'}</p>
      {(connection === 'outdated' || status === 'failed') && <button type="button" onClick={() => location.reload()}>Reload</button>}
    </section>
  );
}
