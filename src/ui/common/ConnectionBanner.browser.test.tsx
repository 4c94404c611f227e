// The library's connection problems are visible: another tab upgraded it (reload), or it could not open.
import { afterEach, expect, test } from 'vitest';
import { libraryActions } from '../../state/library';
import { button, setup, waitFor, type Harness } from '../testing/harness';
import { ConnectionBanner } from './ConnectionBanner';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('nothing while open; the message and Reload when outdated; the message when blocked', async () => {
  h = await setup({ model: false });
  h.render(<ConnectionBanner />);
  expect(h.container.querySelector('[data-testid="connection-banner"]')).toBeNull();
  libraryActions.setConnection('outdated', 'The photo library was upgraded by a newer version of this app in another tab. Reload this page to continue.');
  const banner = await waitFor(() => h!.container.querySelector('[data-testid="connection-banner"]'));
  expect(banner.getAttribute('role')).toBe('alert');
  expect(banner.textContent).toContain('Reload this page to continue.');
  expect(button(banner, 'Reload')).toBeTruthy();
  libraryActions.setConnection('blocked', 'Close or reload the other tabs.');
  await waitFor(() => h!.container.querySelector('[data-testid="connection-banner"]')?.textContent === 'Close or reload the other tabs.');
  libraryActions.setConnection('open', '');
  await waitFor(() => !h!.container.querySelector('[data-testid="connection-banner"]'));
});
