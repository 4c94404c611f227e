// A photo's stored thumbnail (an object URL from the bounded cache), with a neutral box while it loads.
import { useEffect, useState } from 'react';
import { thumbnailUrl } from '../../app/photoImages';

export function Thumbnail({ photoId, alt }: { photoId: string; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setUrl(null);
    thumbnailUrl(photoId).then((u) => { if (live) setUrl(u); }, () => {});
    return () => { live = false; };
  }, [photoId]);
  return url ? <img className="thumb" src={url} alt={alt} draggable={false} /> : <span className="thumb thumb-empty" role="img" aria-label={alt} />;
}
