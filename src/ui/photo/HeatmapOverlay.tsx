// Draws an attention map (rows, cols) in [0, 1] over the photo: warm colours where the summary tokens looked.
import { useEffect, useRef } from 'react';
import type { AttentionMap } from '../../app/enginePort';

/** v in [0, 1] -> RGBA (transparent blue ... opaque yellow-red). */
export function heatColour(v: number): [number, number, number, number] {
  const x = Math.max(0, Math.min(1, v));
  const r = Math.round(255 * Math.min(1, 2 * x));
  const g = Math.round(255 * Math.min(1, 2 * (1 - x)) * x * 1.6);
  const b = Math.round(255 * (1 - x) * 0.6);
  return [r, Math.min(255, g), b, Math.round(40 + 150 * x)];
}

export function HeatmapOverlay({ map }: { map: AttentionMap }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    c.width = map.cols;
    c.height = map.rows;
    let max = 0;
    let min = Infinity;
    for (const v of map.values) { max = Math.max(max, v); min = Math.min(min, v); }
    const span = max - min || 1;
    const img = ctx.createImageData(map.cols, map.rows);
    for (let i = 0; i < map.rows * map.cols; i++) img.data.set(heatColour((map.values[i] - min) / span), i * 4);
    ctx.putImageData(img, 0, 0);
  }, [map]);
  return <canvas ref={ref} className="heatmap" data-testid="heatmap" aria-hidden="true" />;
}
