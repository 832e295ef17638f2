// Progress on stderr: a redrawn bar on a terminal, a line per quarter otherwise (CI logs, pipes).

export interface Progress {
  tick(done: number): void;
  finish(): void;
}

export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = performance.now();
  let lastDraw = 0;
  let lastQuarter = 0;
  const line = (done: number) => {
    const ratio = total === 0 ? 1 : done / total;
    const rate = done / Math.max((performance.now() - started) / 1000, 0.001);
    return { ratio, text: `${done}/${total} ${Math.round(ratio * 100)}% ${rate.toFixed(0)} req/s` };
  };
  return {
    tick(done) {
      if (stream.isTTY) {
        const now = performance.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        const { ratio, text } = line(done);
        const width = 30;
        const filled = Math.round(ratio * width);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\u001b[K`);
      } else {
        const quarter = Math.floor((done / Math.max(total, 1)) * 4);
        if (quarter > lastQuarter) {
          lastQuarter = quarter;
          stream.write(`${line(done).text}\n`);
        }
      }
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
