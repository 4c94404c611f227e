// What is known about the photo: size, dates, status (and why it failed).
import type { PhotoRecord } from '../../storage/records';
import { formatSize } from '../format';

export function PhotoFacts({ photo }: { photo: PhotoRecord }) {
  return (
    <dl className="facts">
      <div><dt>Status</dt><dd data-testid="photo-status">{photo.status}</dd></div>
      {photo.failReason && <div><dt>Why it failed</dt><dd>{photo.failReason}</dd></div>}
      <div><dt>Size</dt><dd>{photo.width} × {photo.height}, {formatSize(photo.byteSize)}</dd></div>
      {photo.capturedAt && <div><dt>Taken</dt><dd>{photo.capturedAt.replace('T', ' ')}</dd></div>}
      <div><dt>Added</dt><dd>{new Date(photo.addedAt).toLocaleString()}</dd></div>
      {photo.modelId && <div><dt>Indexed by</dt><dd>{photo.modelId}</dd></div>}
    </dl>
  );
}
