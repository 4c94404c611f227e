// A virtualised grid of fixed-size cells: only the rows in view (plus `overscan` rows above and below) are in
// the DOM, so 10k photos cost as much as a screenful. Keyboard: one cell is in the tab order (roving
// tabindex); arrows, PageUp/PageDown, Home/End move it and scroll it into view.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface GridLayout {
  cols: number;
  rows: number;
  rowHeight: number;
  totalHeight: number;
  first: number; // first rendered index
  end: number; // one past the last rendered index
}

/** Which cells to render for a viewport (pure, tested on its own). */
export function gridLayout(count: number, width: number, height: number, scrollTop: number, cell: number, gap: number, overscan: number): GridLayout {
  const cols = Math.max(1, Math.floor((width + gap) / (cell + gap)));
  const rows = Math.ceil(count / cols);
  const rowHeight = cell + gap;
  const firstRow = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const lastRow = Math.min(rows - 1, Math.floor((scrollTop + Math.max(height, rowHeight)) / rowHeight) + overscan);
  return { cols, rows, rowHeight, totalHeight: Math.max(0, rows * rowHeight - gap), first: firstRow * cols, end: Math.min(count, (lastRow + 1) * cols) };
}

interface Props {
  count: number;
  cellSize: number;
  gap?: number;
  overscan?: number;
  label: string;
  keyOf(index: number): string;
  renderCell(index: number, tabIndex: 0 | -1): ReactNode;
}

export function VirtualGrid({ count, cellSize, gap = 8, overscan = 2, label, keyOf, renderCell }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  const [scrollTop, setScrollTop] = useState(0);
  const [active, setActive] = useState(0);
  const focusPending = useRef(false);
  const frame = useRef(0);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setSize({ width: el.clientWidth, height: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const layout = gridLayout(count, size.width, size.height, scrollTop, cellSize, gap, overscan);
  const current = Math.min(active, Math.max(0, count - 1));

  const moveTo = useCallback((index: number) => {
    const el = ref.current;
    if (!el || count === 0) return;
    const i = Math.max(0, Math.min(count - 1, index));
    const row = Math.floor(i / layout.cols);
    const top = row * layout.rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + cellSize > el.scrollTop + el.clientHeight) el.scrollTop = top + cellSize - el.clientHeight;
    setScrollTop(el.scrollTop);
    setActive(i);
    focusPending.current = true;
  }, [count, layout.cols, layout.rowHeight, cellSize]);

  useEffect(() => {
    if (!focusPending.current) return;
    focusPending.current = false;
    ref.current?.querySelector<HTMLElement>(`[data-index="${current}"] [tabindex="0"]`)?.focus();
  });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const perPage = layout.cols * Math.max(1, Math.floor(size.height / layout.rowHeight));
    const step: Record<string, number> = {
      ArrowRight: 1, ArrowLeft: -1, ArrowDown: layout.cols, ArrowUp: -layout.cols, PageDown: perPage, PageUp: -perPage,
    };
    if (e.key in step) moveTo(current + step[e.key]);
    else if (e.key === 'Home') moveTo(0);
    else if (e.key === 'End') moveTo(count - 1);
    else return;
    e.preventDefault();
  };

  const cells: ReactNode[] = [];
  for (let i = layout.first; i < layout.end; i++) {
    const row = Math.floor(i / layout.cols);
    const col = i % layout.cols;
    cells.push(
      <div
        key={keyOf(i)} role="listitem" className="vgrid-cell" data-index={i} aria-posinset={i + 1} aria-setsize={count}
        style={{ top: row * layout.rowHeight, left: col * (cellSize + gap), width: cellSize, height: cellSize }}
        onFocus={() => { if (active !== i) setActive(i); }}
      >
        {renderCell(i, i === current ? 0 : -1)}
      </div>,
    );
  }
  return (
    <div
      ref={ref} className="vgrid" data-testid="virtual-grid" data-count={count} data-cols={layout.cols}
      onScroll={(e) => {
        const top = e.currentTarget.scrollTop;
        cancelAnimationFrame(frame.current);
        frame.current = requestAnimationFrame(() => setScrollTop(top));
      }}
      onKeyDown={onKeyDown}
    >
      <div role="list" aria-label={label} className="vgrid-inner" style={{ height: layout.totalHeight }}>
        {cells}
      </div>
    </div>
  );
}
