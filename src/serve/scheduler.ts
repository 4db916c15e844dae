/**
 * The decode scheduler: every request being generated shares one DecodeSession (continuous
 * batching). Before each decode step, waiting requests are prefilled together and appended to the
 * running batch (DecodeSession.append), so a request joins at the next step instead of waiting for
 * the batch to drain; finished, cancelled and timed-out requests leave the batch right after the
 * step they end on (DecodeSession.select). Each request keeps the per-prompt decoding state of
 * src/generate (SingleGroup / BeamGroup) with its own options, so greedy, sampling and beam
 * requests decode side by side and each gets the answer it would get alone.
 *
 * Short one-pass jobs (scoring, classification) run between decode steps through `runTask`.
 * The queue is bounded: `submit` and `runTask` throw E_OVERLOADED when it is full.
 */
import { GlmError } from '../util/errors.js';
import type { GLMModel } from '../model/glm.js';
import { BeamGroup, SingleGroup, type Group, type GroupEvent } from '../generate/groups.js';
import { fillContext } from '../generate/infill.js';
import { checkPrompts, resolveOptions, type CheckedPrompt, type InfillOptions, type InfillPrompt, type InfillResult, type ResolvedOptions } from '../generate/options.js';
import { DecodeSession, type StepFeed } from '../generate/session.js';
import type { GenerationTokens } from '../generate/tokens.js';

export interface SchedulerOptions {
  /** Most session rows decoded together (a beam request takes numBeams rows). 1 disables batching. */
  maxBatch: number;
  /** Most requests waiting to start (decode and one-pass jobs together). */
  maxQueue: number;
}

export interface SchedulerObserver {
  /** After every decode step: rows in the step and tokens it produced. */
  step?(rows: number, tokens: number): void;
}

export interface DecodeRequest {
  prompt: InfillPrompt;
  options: InfillOptions;
  /** Each event of this request, as soon as its step is done. */
  onEvent?: (e: GroupEvent) => void;
  /** The request fails with E_TIMEOUT when it is not done this many ms after submission. */
  timeoutMs?: number;
}

export interface Ticket {
  readonly result: Promise<InfillResult>;
  /** Removes the request (waiting or in the batch) before the next step; `result` rejects with E_CANCELLED. */
  cancel(): void;
}

interface Job {
  prompt: CheckedPrompt;
  opts: ResolvedOptions;
  rows: number;
  onEvent: (e: GroupEvent) => void;
  deadline: number;
  group: Group | null;
  ended: GlmError | null;
  resolve: (r: InfillResult) => void;
  reject: (e: Error) => void;
}

interface Task {
  run: () => void;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Scheduler {
  readonly model: GLMModel;
  readonly tokens: GenerationTokens;
  readonly options: SchedulerOptions;
  private readonly observer: SchedulerObserver;
  private pending: Job[] = [];
  private tasks: Task[] = [];
  private active: Job[] = [];
  private session: DecodeSession | null = null;
  private loop: Promise<void> | null = null;
  private closed = false;

  constructor(model: GLMModel, tokens: GenerationTokens, options: SchedulerOptions, observer: SchedulerObserver = {}) {
    if (!(Number.isInteger(options.maxBatch) && options.maxBatch >= 1)) throw new GlmError('E_SERVE_OPTION', `maxBatch must be an integer >= 1, got ${options.maxBatch}`);
    if (!(Number.isInteger(options.maxQueue) && options.maxQueue >= 0)) throw new GlmError('E_SERVE_OPTION', `maxQueue must be an integer >= 0, got ${options.maxQueue}`);
    this.model = model;
    this.tokens = tokens;
    this.options = options;
    this.observer = observer;
  }

  /** Requests waiting to start. */
  get queueDepth(): number {
    return this.pending.length + this.tasks.length;
  }

  /** Session rows in the running batch. */
  get batchRows(): number {
    return this.session?.batch ?? 0;
  }

  /** Cached columns of the running batch (bounded by compaction as requests come and go). */
  get cacheLength(): number {
    return this.session?.length ?? 0;
  }

  /** Requests being decoded. */
  get activeRequests(): number {
    return this.active.length;
  }

  private admitCheck(): void {
    if (this.closed) throw new GlmError('E_SHUTTING_DOWN', 'the server is shutting down');
    if (this.queueDepth >= this.options.maxQueue) throw new GlmError('E_OVERLOADED', `the queue is full (${this.options.maxQueue} waiting requests); retry later`);
  }

  /**
   * Queues one prompt for decoding. Options and prompt are checked here (GlmError on bad
   * input, before anything is queued).
   */
  submit(req: DecodeRequest): Ticket {
    const opts = resolveOptions(this.model.config, { ...req.options, cacheKind: 'kv' });
    const [prompt] = checkPrompts(this.model.config, this.tokens, [req.prompt], opts.maxLength);
    const rows = opts.strategy === 'beam' ? opts.numBeams : 1;
    if (rows > this.options.maxBatch) throw new GlmError('E_GENERATE_OPTION', `numBeams ${rows} is more than this server's batch of ${this.options.maxBatch} rows`);
    this.admitCheck();
    let resolve!: (r: InfillResult) => void, reject!: (e: Error) => void;
    const result = new Promise<InfillResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A rejection nobody awaits (a client gone, a ticket cancelled by its own route) must never
    // become an unhandled rejection that stops the server; awaiting callers still see it.
    result.catch(() => {});
    const job: Job = {
      prompt: prompt!, opts, rows, onEvent: req.onEvent ?? (() => {}), group: null, ended: null, resolve, reject,
      deadline: req.timeoutMs !== undefined ? Date.now() + req.timeoutMs : Infinity,
    };
    this.pending.push(job);
    this.wake();
    return {
      result,
      cancel: () => {
        if (!job.ended) job.ended = new GlmError('E_CANCELLED', 'the request was cancelled');
      },
    };
  }

  /** Runs a one-pass job (scoring, classification) between decode steps. */
  runTask<T>(fn: () => T): Promise<T> {
    this.admitCheck();
    return new Promise<T>((resolve, reject) => {
      this.tasks.push({
        run: () => {
          try {
            resolve(fn());
          } catch (e) {
            reject(e as Error);
          }
        },
      });
      this.wake();
    });
  }

  /**
   * Stops accepting work. With `cancel`, every waiting and running request ends with
   * E_SHUTTING_DOWN; otherwise they finish. Resolves when nothing is left.
   */
  async close(cancel = false): Promise<void> {
    this.closed = true;
    if (cancel) {
      for (const j of [...this.pending, ...this.active]) if (!j.ended) j.ended = new GlmError('E_SHUTTING_DOWN', 'the server is shutting down');
      this.wake();
    }
    while (this.loop) await this.loop;
  }

  private wake(): void {
    if (this.loop) return;
    this.loop = this.run().finally(() => {
      this.loop = null;
      this.session = null;
    });
  }

  private async run(): Promise<void> {
    // Start on a later turn of the event loop: a submitter gets its ticket before any step runs.
    await tick();
    while (this.pending.length + this.tasks.length + this.active.length > 0) {
      try {
        for (const t of this.tasks.splice(0)) t.run();
        this.expire();
        this.removeEnded();
        this.admit();
        if (this.active.length > 0) this.step();
        this.removeEnded();
      } catch (e) {
        // A failure inside a decode step is the server's: fail the batch, keep serving.
        const err = new GlmError('E_INTERNAL', `decode step failed: ${(e as Error).message}`, { cause: e });
        for (const j of [...this.active, ...this.pending]) j.reject(err);
        this.active = [];
        this.pending = [];
        this.session = null;
      }
      await tick();
    }
  }

  private expire(): void {
    const now = Date.now();
    for (const j of [...this.pending, ...this.active]) {
      if (!j.ended && now > j.deadline) j.ended = new GlmError('E_TIMEOUT', 'the request ran past its time limit');
    }
  }

  /** Prefills waiting requests that fit in the batch and appends them to the running session. */
  private admit(): void {
    const pending = this.pending.filter((j) => !j.ended);
    for (const j of this.pending) if (j.ended) j.reject(j.ended);
    this.pending = pending;
    let rows = this.session?.batch ?? 0;
    const take: Job[] = [];
    while (this.pending.length > 0 && rows + this.pending[0]!.rows <= this.options.maxBatch) {
      const j = this.pending.shift()!;
      take.push(j);
      rows += j.rows;
    }
    if (take.length === 0) return;
    let fresh: DecodeSession;
    try {
      fresh = DecodeSession.prefill(this.model, take.map((j) => j.prompt.context), { padId: this.tokens.pad ?? this.tokens.eos });
    } catch (e) {
      for (const j of take) j.reject(e as Error);
      return;
    }
    // One prefilled row per request, copied to each of a beam request's rows.
    if (take.some((j) => j.rows > 1)) fresh.select(take.flatMap((j, i) => new Array<number>(j.rows).fill(i)));
    const first = this.session ? this.session.append(fresh) : 0;
    if (!this.session) this.session = fresh;
    let row = first;
    for (const j of take) {
      const ids = Array.from({ length: j.rows }, (_, k) => row + k);
      row += j.rows;
      // Prompt index 0 for every request: a sampled request draws what it would draw alone.
      if (j.opts.strategy === 'beam') {
        const g = new BeamGroup(j.prompt, ids, 0, j.opts, this.tokens);
        g.startBlank(this.session);
        j.group = g;
      } else j.group = new SingleGroup(j.prompt, ids[0]!, 0, j.opts, this.tokens);
      this.active.push(j);
    }
  }

  private step(): void {
    const session = this.session!, B = session.batch, V = this.model.config.vocab_size;
    const feed: StepFeed = { tokens: new Int32Array(B), positions: new Int32Array(B), blockPositions: new Int32Array(B), active: new Uint8Array(B) };
    for (const j of this.active) j.group!.fill(feed);
    const logits = session.step(feed);
    const perm = Int32Array.from({ length: B }, (_, i) => i);
    let produced = 0;
    for (const j of this.active) {
      for (const e of j.group!.consume(logits, V, perm, session)) {
        if (e.type === 'token') produced++;
        try {
          j.onEvent(e);
        } catch (err) {
          j.ended = err instanceof GlmError ? err : new GlmError('E_INTERNAL', `event handler failed: ${(err as Error).message}`);
        }
      }
    }
    session.reorder(perm);
    this.observer.step?.(B, produced);
  }

  /** Settles finished and ended requests and drops their rows from the batch. */
  private removeEnded(): void {
    const keep: Job[] = [];
    for (const j of this.active) {
      if (j.ended) j.reject(j.ended);
      else if (j.group!.done) {
        const g = j.group!;
        j.resolve({ context: g.prompt.context, blanks: g.blanks, filled: fillContext(g.prompt.context, g.blanks) });
      } else keep.push(j);
    }
    if (keep.length === this.active.length) return;
    this.active = keep;
    if (keep.length === 0) {
      this.session = null;
      return;
    }
    const rows: number[] = [];
    for (const j of keep) {
      j.group!.rows = j.group!.rows.map((r) => {
        rows.push(r);
        return rows.length - 1;
      });
    }
    this.session!.select(rows);
    // A beam search remembers the cache column its blank started at: compact only without one.
    if (keep.every((j) => j.opts.strategy !== 'beam')) this.session!.compact();
  }
}
