// Settings show the model's facts (id, K, d, quantization, bytes per photo) and the storage used/available.
import { afterEach, expect, test } from 'vitest';
import { libraryActions, libraryStore } from '../../state/library';
import { $, setup, waitFor, type Harness } from '../testing/harness';
import { SettingsPanel } from './SettingsPanel';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('model facts and storage estimate', async () => {
  h = await setup();
  h.render(<SettingsPanel />);
  const facts = await waitFor(() => h!.container.querySelector('[data-testid="model-facts"]'));
  const rows = Object.fromEntries([...facts.querySelectorAll('div')].map((d) => [d.querySelector('dt')!.textContent, d.querySelector('dd')!.textContent]));
  expect(rows).toMatchObject({
    'Model id': 'f2b-fake000000000001', 'Summary tokens (K)': '2 (nested: 1, 2)', 'Token size (d)': '4',
    Quantization: 'decoder: int8, vision: none, compute: float32', 'Stored per photo': '16 B (2 × K × d bytes, fp16)',
  });
  // The panel asks the browser once when it opens; a made-up estimate after that shows how it is worded.
  await waitFor(() => libraryStore.getState().estimate !== null);
  await new Promise((r) => setTimeout(r, 100));
  libraryActions.setEstimate({ usage: 3_200_000, quota: 1_000_000_000, persisted: false });
  await waitFor(() => $(h!.container, '[data-testid="storage-usage"]').textContent?.includes('Used 3.2 MB of 1.0 GB available'));
  expect($(h.container, '[data-testid="storage-usage"] progress').getAttribute('max')).toBe('1000000000');
});

test('keep originals: the toggle reads and writes the setting', async () => {
  h = await setup();
  h.render(<SettingsPanel />);
  const box = await waitFor(() => { const b = h!.container.querySelector<HTMLInputElement>('.toggle input'); return b && !b.disabled ? b : null; });
  expect(box.checked).toBe(false);
  box.click();
  await waitFor(() => box.checked);
  const { getSettings } = await import('../../storage');
  const { services } = await import('../../app/services');
  expect((await getSettings(services.lib!)).keepOriginals).toBe(true);
});
