/**
 * Download progress on stderr: a redrawn bar on a terminal, otherwise one line when a file starts
 * and one when it ends (so logs stay readable).
 */
export interface ProgressEvent {
  file: string;
  /** Bytes on disk so far (a resumed download starts above 0). */
  done: number;
  total: number;
  phase: 'start' | 'data' | 'end';
}

export type ProgressSink = (e: ProgressEvent) => void;

const mb = (n: number): string => (n / 1e6).toFixed(1) + ' MB';

/** A sink writing to `stream` (process.stderr by default). */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  let last = 0;
  let t0 = 0;
  let from = 0;
  return (e) => {
    if (e.phase === 'start') {
      t0 = Date.now();
      from = e.done;
      if (!stream.isTTY) stream.write(`glm: downloading ${e.file} (${mb(e.total)}${e.done > 0 ? `, resuming at ${mb(e.done)}` : ''})\n`);
    }
    if (!stream.isTTY) {
      if (e.phase === 'end') stream.write(`glm: downloaded ${e.file}\n`);
      return;
    }
    const now = Date.now();
    if (e.phase === 'data' && now - last < 100) return;
    last = now;
    const frac = e.total > 0 ? e.done / e.total : 1;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const rate = (e.done - from) / Math.max(0.001, (now - t0) / 1000);
    stream.write(`\r${e.file} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb(e.done)}/${mb(e.total)} ${mb(rate)}/s\x1b[K`);
    if (e.phase === 'end') stream.write('\n');
  };
}
