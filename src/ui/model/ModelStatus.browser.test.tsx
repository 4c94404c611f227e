// First run: a progress bar while the model downloads and compiles, then what is loaded; a failure says
// why and what to do, and Retry loads again.
import { afterEach, expect, test } from 'vitest';
import { services } from '../../app/services';
import { $, button, setup, waitFor, type Harness } from '../testing/harness';
import { FakeEngine } from '../testing/fakeEngine';
import { ModelStatus } from './ModelStatus';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('progress bar with phase and bytes, then the ready line', async () => {
  h = await setup({ loadMs: 600 });
  h.render(<ModelStatus />);
  const bar = await waitFor(() => h!.container.querySelector('progress'));
  await waitFor(() => Number(bar.getAttribute('value')) > 0);
  expect(bar.getAttribute('max')).toBe('1000');
  expect(h.container.textContent).toMatch(/Loading the model from \/test\/fixtures\/tiny-package\/ — download/);
  expect(h.container.textContent).toMatch(/Downloading decoder\.onnx \(\d+ \/ 1000 B\)/);
  await waitFor(() => h!.container.querySelector('[data-state="ready"]'), 5000);
  expect($(h.container, '[data-testid="model-status"]').textContent)
    .toBe('fake-synthetic-model is ready (f2b-fake000000000001, K = 2, runs on wasm).');
});

test('a failed load shows the error and its hint; Try again loads again', async () => {
  const err = Object.assign(new Error('"decoder.onnx" is missing from the package (HTTP 404 at /x/decoder.onnx)'), {
    name: 'ModelFormatError', hint: 'Delete the downloaded model and download it again.',
  });
  h = await setup({ loadError: err });
  h.render(<ModelStatus />);
  const failed = await waitFor(() => h!.container.querySelector('[data-state="failed"]'));
  expect(failed.getAttribute('role')).toBe('alert');
  expect(failed.textContent).toContain('ModelFormatError: "decoder.onnx" is missing');
  expect(failed.textContent).toContain('What to do: Delete the downloaded model and download it again.');
  const good = new FakeEngine();
  services.engine = good;
  button(h.container, 'Try again').click();
  await waitFor(() => h!.container.querySelector('[data-state="ready"]'));
  expect(good.loads).toEqual([{ kind: 'url', url: '/test/fixtures/tiny-package/' }]);
});
