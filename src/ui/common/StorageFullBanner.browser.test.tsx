// QuotaExceededError becomes visible state: a real quota failure while adding photos shows the
// "Storage is full" banner and lists the files that were not added.
import { afterEach, expect, test } from 'vitest';
import { importFiles } from '../../app/importFiles';
import { storageTestHooks } from '../../storage/testHooks';
import { $, colourPng, setup, waitFor, type Harness } from '../testing/harness';
import { StorageFullBanner } from './StorageFullBanner';

let h: Harness | null = null;
afterEach(async () => { storageTestHooks.beforeCommit = null; await h?.cleanup(); h = null; });

test('a quota failure shows the banner with what to do', async () => {
  h = await setup({ paused: true });
  h.render(<StorageFullBanner />);
  storageTestHooks.beforeCommit = (op) => {
    if (op === 'add photos') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
  const report = await importFiles([await colourPng('#f00', 'red.png')]);
  expect(report.added).toBe(0);
  expect(report.problems).toEqual([{ name: 'red.png', reason: 'Not added: the browser storage for this site is full.' }]);
  const banner = await waitFor(() => h!.container.querySelector('[data-testid="storage-full"]'));
  expect(banner.getAttribute('role')).toBe('alert');
  expect(banner.textContent).toContain('Storage is full: "add photos" was not saved');
  expect(banner.textContent).toContain('Delete some photos');
  $(banner, 'button').click();
  await waitFor(() => !h!.container.querySelector('[data-testid="storage-full"]'));
});
