// The heatmap: the engine's attention map drawn over the photo, toggled by the button.
import { afterEach, expect, test } from 'vitest';
import { button, setup, waitFor, type Harness } from '../testing/harness';
import { PhotoDialog } from './PhotoDialog';
import { openIndexedPhoto } from './testPhoto';
import { heatColour } from './HeatmapOverlay';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('shows the attention map as a canvas over the photo, and hides it again', async () => {
  h = await setup();
  h.render(<PhotoDialog />);
  await openIndexedPhoto();
  const dialog = await waitFor(() => document.querySelector('dialog[open]'));
  button(dialog, 'Show heatmap').click();
  const canvas = await waitFor(() => {
    const c = dialog.querySelector<HTMLCanvasElement>('[data-testid="heatmap"]');
    return c && c.width === 4 && c.height === 4 ? c : null;
  });
  const px = canvas.getContext('2d')!.getImageData(0, 0, 4, 4).data;
  // The fake map rises from 0 (top left) to 1 (bottom right); alpha is premultiplied in the canvas, so
  // colour channels come back within a few units.
  const near = (got: Uint8ClampedArray, want: number[]) => got.every((v, i) => Math.abs(v - want[i]) <= 4);
  expect(near(px.slice(0, 4), heatColour(0))).toBe(true);
  expect(near(px.slice(60, 64), heatColour(1))).toBe(true);
  expect(button(dialog, 'Hide heatmap').getAttribute('aria-pressed')).toBe('true');
  button(dialog, 'Hide heatmap').click();
  await waitFor(() => !dialog.querySelector('[data-testid="heatmap"]'));
});
