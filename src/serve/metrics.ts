/**
 * Prometheus metrics of one server (prom-client, a registry per server): requests by route and
 * status, latency histograms, queue depth, batch rows and sizes, generated tokens and tokens/s.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Scheduler } from './scheduler.js';

/** Tokens/s is measured over this window. */
const RATE_WINDOW_MS = 10_000;

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status'>;
  private readonly latency: Histogram<'route'>;
  private readonly batchSize: Histogram;
  private readonly tokens: Counter;
  private readonly steps: Counter;
  private readonly rejected: Counter<'reason'>;
  /** Recent steps: [time, tokens]. */
  private recent: [number, number][] = [];

  constructor(scheduler: () => Scheduler | null) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'glm_requests_total', help: 'HTTP requests by route and status code', labelNames: ['route', 'status'], registers });
    this.latency = new Histogram({
      name: 'glm_request_duration_seconds', help: 'Request latency (to the last byte, streams included)', labelNames: ['route'], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
    this.batchSize = new Histogram({ name: 'glm_batch_rows', help: 'Session rows decoded in each step', registers, buckets: [1, 2, 4, 8, 16, 32, 64, 128] });
    this.tokens = new Counter({ name: 'glm_generated_tokens_total', help: 'Tokens generated', registers });
    this.steps = new Counter({ name: 'glm_decode_steps_total', help: 'Batched decode steps', registers });
    this.rejected = new Counter({ name: 'glm_rejected_total', help: 'Requests refused before any work (overload, shutdown)', labelNames: ['reason'], registers });
    new Gauge({ name: 'glm_queue_depth', help: 'Requests waiting to start', registers, collect() { this.set(scheduler()?.queueDepth ?? 0); } });
    new Gauge({ name: 'glm_active_requests', help: 'Requests being decoded', registers, collect() { this.set(scheduler()?.activeRequests ?? 0); } });
    const self = this;
    new Gauge({ name: 'glm_tokens_per_second', help: `Generated tokens per second over the last ${RATE_WINDOW_MS / 1000} s`, registers, collect() { this.set(self.tokenRate()); } });
  }

  request(route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    this.latency.observe({ route }, seconds);
  }

  reject(reason: string): void {
    this.rejected.inc({ reason });
  }

  step(rows: number, tokens: number): void {
    this.batchSize.observe(rows);
    this.steps.inc();
    this.tokens.inc(tokens);
    const now = Date.now();
    this.recent.push([now, tokens]);
    while (this.recent.length > 0 && this.recent[0]![0] < now - RATE_WINDOW_MS) this.recent.shift();
  }

  private tokenRate(): number {
    const now = Date.now();
    return this.recent.reduce((n, [t, k]) => (t >= now - RATE_WINDOW_MS ? n + k : n), 0) / (RATE_WINDOW_MS / 1000);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
