// A progress bar on stderr for long CLI runs: redrawn in place on a terminal, a line per 10% otherwise
// (logs, CI), and a final line with the totals either way.

export interface ProgressBar {
  tick(done: number, note?: string): void;
  finish(summary: string): void;
}

export function progressBar(total: number, unit: string, out: NodeJS.WriteStream = process.stderr, width = 28): ProgressBar {
  const t0 = performance.now();
  const tty = Boolean(out.isTTY);
  let lastDecile = -1;
  const line = (done: number, note = '') => {
    const s = (performance.now() - t0) / 1000;
    const rate = done / Math.max(s, 1e-9);
    const frac = total > 0 ? done / total : 1;
    const fill = Math.round(frac * width);
    const eta = rate > 0 && done < total ? ` ETA ${Math.ceil((total - done) / rate)}s` : '';
    return `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total} ${unit} ${rate.toFixed(2)} ${unit}/s${eta}${note ? `  ${note}` : ''}`;
  };
  return {
    tick(done, note) {
      if (tty) out.write(`\r\x1b[2K${line(done, note)}`);
      else {
        const decile = total > 0 ? Math.floor((10 * done) / total) : 10;
        if (decile !== lastDecile) { lastDecile = decile; out.write(`${line(done, note)}\n`); }
      }
    },
    finish(summary) {
      if (tty) out.write('\r\x1b[2K');
      out.write(`${summary} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    },
  };
}
