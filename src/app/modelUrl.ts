// Which model package the app loads: `?model=/path/to/package/` (same origin only), else /models/default/.

export const DEFAULT_MODEL_URL = '/models/default/';

/** The package URL from the page's query string; a cross-origin or malformed value is ignored (returns the default). */
export function modelUrlFromLocation(href: string = location.href): string {
  const page = new URL(href);
  const asked = page.searchParams.get('model');
  if (!asked) return DEFAULT_MODEL_URL;
  let url: URL;
  try {
    url = new URL(asked, page);
  } catch {
    return DEFAULT_MODEL_URL;
  }
  if (url.origin !== page.origin) return DEFAULT_MODEL_URL;
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return path;
}
