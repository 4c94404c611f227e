// Draws the app's icons (public/icons/*.png + icon.svg) for the web app manifest and the favicon: a blue
// rounded square with a white dot, like the lens of a camera. Pure pixels (antialiased by 4x4 supersampling),
// encoded with the CLI's PNG encoder, so no image tool is needed. Run: `npx tsx scripts/make-icons.ts`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodePng } from '../cli/png';

const out = resolve(import.meta.dirname, '../public/icons');
const BLUE = [0x0b, 0x57, 0xd0];
const WHITE = [0xff, 0xff, 0xff];

/**
 * One icon, `size` px. `inset` leaves a transparent margin (fraction of size) around the rounded square;
 * a maskable icon fills the whole square (the platform cuts its own shape) and keeps the dot in the safe zone.
 */
function icon(size: number, opts: { maskable: boolean }): Uint8Array {
  const data = new Uint8Array(size * size * 4);
  const ss = 4;
  const radius = opts.maskable ? 0 : 0.1875; // 3/16, as the SVG favicon
  const dot = opts.maskable ? 0.175 : 0.21875; // 3.5/16; smaller inside a maskable icon's 80% safe zone
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let square = 0;
      let inDot = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const u = (x + (sx + 0.5) / ss) / size;
          const v = (y + (sy + 0.5) / ss) / size;
          // Rounded square [0, 1]^2 with corner radius `radius`.
          const cx = Math.min(Math.max(u, radius), 1 - radius);
          const cy = Math.min(Math.max(v, radius), 1 - radius);
          if ((u - cx) ** 2 + (v - cy) ** 2 <= radius * radius + 1e-12) square++;
          if ((u - 0.5) ** 2 + (v - 0.5) ** 2 <= dot * dot) inDot++;
        }
      }
      const n = ss * ss;
      const a = square / n;
      const w = inDot / n;
      const i = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) data[i + c] = Math.round(BLUE[c] * (1 - w) + WHITE[c] * w);
      data[i + 3] = Math.round(255 * a);
    }
  }
  return encodePng({ width: size, height: size, data });
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b57d0"/><circle cx="8" cy="8" r="3.5" fill="#fff"/></svg>\n`;

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'icon.svg'), svg);
for (const size of [192, 512]) writeFileSync(join(out, `icon-${size}.png`), icon(size, { maskable: false }));
writeFileSync(join(out, 'icon-maskable-512.png'), icon(512, { maskable: true }));
writeFileSync(join(out, 'apple-touch-icon-180.png'), icon(180, { maskable: true }));
console.log(`icons written to ${out}`);
