// Keep original files after indexing (costs space; allows re-indexing with another model).
import { useEffect, useState } from 'react';
import { readSettings, setKeepOriginals } from '../../app/libraryOps';
import { reportError } from '../../app/report';

export function KeepOriginalsToggle() {
  const [keep, setKeep] = useState<boolean | null>(null);
  useEffect(() => {
    readSettings().then((s) => setKeep(s.keepOriginals), () => {});
  }, []);
  return (
    <label className="toggle">
      <input
        type="checkbox" checked={keep ?? false} disabled={keep === null}
        onChange={async (e) => {
          const want = e.target.checked;
          try {
            setKeep((await setKeepOriginals(want)).keepOriginals);
          } catch (err) {
            reportError(err, 'storage');
          }
        }}
      />
      Keep original files after indexing (uses more space; lets you re-index with another model)
    </label>
  );
}
