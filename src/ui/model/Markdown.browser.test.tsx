// The model-card renderer: headings, lists, code, bold; HTML in the file stays text.
import { expect, test } from 'vitest';
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { Markdown } from './Markdown';

test('renders blocks and keeps HTML as text', () => {
  const host = document.createElement('div');
  const root = createRoot(host);
  const md = '# Title\n\nSome **bold** and `code`.\n\n- one\n- <img src=x onerror=alert(1)>\n\n```sh\nnpm test\n```\n';
  flushSync(() => root.render(<Markdown text={md} />));
  expect(host.querySelector('h3')!.textContent).toBe('Title');
  expect(host.querySelector('p strong')!.textContent).toBe('bold');
  expect(host.querySelector('p code')!.textContent).toBe('code');
  expect([...host.querySelectorAll('li')].map((l) => l.textContent)).toEqual(['one', '<img src=x onerror=alert(1)>']);
  expect(host.querySelector('img')).toBeNull();
  expect(host.querySelector('pre code')!.textContent).toBe('npm test');
  root.unmount();
});
