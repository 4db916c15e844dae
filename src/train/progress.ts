/**
 * A one-line live progress bar on stderr: step, loss, tokens/s and ETA. On a terminal it redraws
 * in place (at most 10 times a second); otherwise it prints a plain line every `intervalMs`.
 */

export interface ProgressState {
  step: number;
  total: number;
  loss: number;
  validLoss?: number;
  tokensPerSecond: number;
  /** Estimated seconds left. */
  etaSeconds: number;
  lr: number;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export class ProgressBar {
  private last = 0;
  private drawn = false;
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = stream.isTTY ? 100 : 10_000,
    private readonly enabled = true,
  ) {}

  line(s: ProgressState): string {
    const frac = s.total > 0 ? Math.min(1, s.step / s.total) : 0;
    const width = 24;
    const fill = Math.round(frac * width);
    const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
    const v = s.validLoss !== undefined ? ` val ${s.validLoss.toFixed(3)}` : '';
    return `${bar} step ${s.step}/${s.total} loss ${s.loss.toFixed(3)}${v} lr ${s.lr.toExponential(2)} ${Math.round(s.tokensPerSecond)} tok/s ETA ${formatDuration(s.etaSeconds)}`;
  }

  update(s: ProgressState, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${this.line(s)}`);
      this.drawn = true;
    } else this.stream.write(this.line(s) + '\n');
  }

  /** Prints a message above the bar. */
  log(msg: string): void {
    if (this.drawn && this.stream.isTTY) this.stream.write('\r\x1b[2K');
    this.stream.write(msg + '\n');
    this.last = 0;
  }

  done(): void {
    if (this.drawn && this.stream.isTTY) this.stream.write('\n');
    this.drawn = false;
  }
}
