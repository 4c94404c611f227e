// Storage used and available for this site (navigator.storage.estimate), and whether it is persistent.
import { useEffect } from 'react';
import { services } from '../../app/services';
import { useLibrary } from '../../state/library';
import { formatSize } from '../format';

export function StorageUsage() {
  const estimate = useLibrary((s) => s.estimate);
  const photos = useLibrary((s) => s.photos.size);
  useEffect(() => { void services.lib?.refreshQuota().catch(() => {}); }, []);
  const used = estimate?.usage ?? null;
  const quota = estimate?.quota ?? null;
  return (
    <div className="storage" data-testid="storage-usage">
      <p>
        {photos} photos. Used {formatSize(used)}
        {quota !== null ? ` of ${formatSize(quota)} available to this site` : ''}
        {estimate ? (estimate.persisted ? '; the browser keeps it under storage pressure.' : '; the browser may evict it when the disk is nearly full (export a copy).') : '.'}
      </p>
      {used !== null && quota !== null && quota > 0 && (
        <progress value={used} max={quota} aria-label="Storage used" />
      )}
      <button type="button" onClick={() => void services.lib?.refreshQuota().catch(() => {})}>Refresh</button>
    </div>
  );
}
