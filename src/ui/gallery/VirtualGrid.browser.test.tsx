// The virtualised grid with 10 000 cells: only the rows in view (plus overscan) are in the DOM, scrolling
// swaps them, and the keyboard moves focus cell by cell, scrolling as needed.
import { afterEach, expect, test } from 'vitest';
import { createRoot, type Root } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { gridLayout, VirtualGrid } from './VirtualGrid';
import { waitFor } from '../testing/harness';
import './gallery.css';

let root: Root | null = null;
let host: HTMLElement | null = null;
afterEach(() => { root?.unmount(); host?.remove(); root = null; host = null; });

function mount(count: number) {
  host = document.createElement('div');
  host.style.width = '800px';
  document.body.append(host);
  root = createRoot(host);
  flushSync(() => root!.render(
    <VirtualGrid
      count={count} cellSize={100} gap={10} overscan={2} label="Cells"
      keyOf={(i) => `k${i}`} renderCell={(i, tabIndex) => <button type="button" tabIndex={tabIndex}>cell {i}</button>}
    />,
  ));
  return host.querySelector<HTMLElement>('[data-testid="virtual-grid"]')!;
}

const rendered = (grid: HTMLElement) => [...grid.querySelectorAll<HTMLElement>('[data-index]')].map((c) => Number(c.dataset.index));

test('gridLayout: columns from the width, rows in view plus overscan', () => {
  // 800 px wide, 100 px cells, 10 px gap -> 7 columns; 640 px tall at scrollTop 0 -> rows 0..5 + 2 overscan
  const l = gridLayout(10_000, 800, 640, 0, 100, 10, 2);
  expect(l).toMatchObject({ cols: 7, rows: 1429, rowHeight: 110, first: 0, end: 8 * 7 });
  expect(l.totalHeight).toBe(1429 * 110 - 10);
  const mid = gridLayout(10_000, 800, 640, 110 * 500, 100, 10, 2);
  expect(mid.first).toBe(498 * 7);
  expect(mid.end).toBe((500 + 5 + 2 + 1) * 7);
  expect(gridLayout(0, 800, 640, 0, 100, 10, 2)).toMatchObject({ first: 0, end: 0, totalHeight: 0 });
});

test('10 000 cells: a bounded number in the DOM, and scrolling renders the rows in view', async () => {
  const grid = mount(10_000);
  await waitFor(() => rendered(grid).length > 0);
  const height = grid.clientHeight;
  const cols = Math.floor((grid.clientWidth + 10) / 110);
  const bound = (Math.ceil(height / 110) + 1 + 4) * cols; // rows in view + a partial row + 2 overscan each side
  expect(rendered(grid).length).toBeLessThanOrEqual(bound);
  expect(grid.querySelectorAll('[role="listitem"]').length).toBeLessThan(200);
  expect(rendered(grid)[0]).toBe(0);
  // The scroll height stands for all rows.
  expect(grid.scrollHeight).toBeGreaterThan(1000 * 110);

  grid.scrollTop = 110 * 700;
  grid.dispatchEvent(new Event('scroll'));
  await waitFor(() => rendered(grid)[0] === 698 * cols);
  const cells = rendered(grid);
  expect(cells.length).toBeLessThanOrEqual(bound);
  expect(cells).toContain(700 * cols);
  expect(grid.querySelector(`[data-index="${700 * cols}"]`)!.textContent).toBe(`cell ${700 * cols}`);

  grid.scrollTop = grid.scrollHeight;
  grid.dispatchEvent(new Event('scroll'));
  await waitFor(() => rendered(grid).includes(9_999));
  expect(rendered(grid).length).toBeLessThanOrEqual(bound);
});

test('keyboard: one cell in the tab order; arrows and End move focus and scroll it into view', async () => {
  const grid = mount(10_000);
  await waitFor(() => rendered(grid).length > 0);
  await waitFor(() => Number(grid.dataset.cols) > 1); // the ResizeObserver has measured the real width
  const focusables = grid.querySelectorAll('[tabindex="0"]');
  expect(focusables).toHaveLength(1);
  (focusables[0] as HTMLElement).focus();
  const key = (k: string) => (document.activeElement as HTMLElement).dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
  key('ArrowRight');
  await waitFor(() => document.activeElement?.textContent === 'cell 1');
  // The column count the grid laid out with (its own measurement, which can trail a scrollbar appearing).
  const cols = Number(grid.dataset.cols);
  key('ArrowDown');
  await waitFor(() => document.activeElement?.textContent === `cell ${1 + cols}`);
  key('End');
  await waitFor(() => document.activeElement?.textContent === 'cell 9999');
  expect(grid.scrollTop).toBeGreaterThan(1000 * 110);
  key('Home');
  await waitFor(() => document.activeElement?.textContent === 'cell 0');
  expect(grid.scrollTop).toBe(0);
});
