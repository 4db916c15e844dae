/**
 * Per-prompt decoding state. A group owns the session rows of one prompt (one row for greedy and
 * sampling, numBeams rows for beam search) and walks its blanks left to right (spec §4.2): for
 * each blank it feeds [sop] at (mask position, 1), then its tokens at block positions 2, 3, …;
 * the cache keeps every fed token, so later blanks see earlier answers. An end token is neither
 * emitted nor fed back.
 */
import { Rng } from '../util/rng.js';
import { BeamHypotheses, sampleCandidates, topCandidates, type Hypothesis } from './beam.js';
import { applyProcessors, argmax, logSoftmax, samplingDistribution, drawFrom, type ProcessorOptions } from './logits.js';
import type { BlankResult, CheckedPrompt, ResolvedOptions, StopReason, TokenLogProb } from './options.js';
import type { DecodeSession, StepFeed } from './session.js';
import type { GenerationTokens } from './tokens.js';

/** Something a group reports after a step. */
export type GroupEvent =
  | { type: 'token'; blank: number; index: number; token: number; logProb: number; /** With topLogProbs (greedy / sampling): this step's most likely tokens. */ top?: TokenLogProb[] }
  | { type: 'blank'; blank: number; result: BlankResult };

/** Per-row stream seed: prompt 0 uses `seed` itself, so a batch's first prompt draws as it would alone. */
export function promptSeed(seed: number, prompt: number): number {
  return (seed ^ Math.imul(prompt, 0x9e3779b1)) >>> 0;
}

function topOf(lp: Float64Array, n: number): TokenLogProb[] {
  const idx = Array.from(lp.keys()).sort((a, b) => lp[b]! - lp[a]! || a - b).slice(0, n);
  return idx.map((token) => ({ token, logProb: lp[token]! }));
}

export abstract class Group {
  /** Session rows of this prompt (remapped when the session is compacted). */
  rows: number[];
  readonly prompt: CheckedPrompt;
  readonly blanks: BlankResult[] = [];
  done = false;
  protected blank = -1;
  /** Tokens still to feed before the next logits matter (all rows feed the same). */
  protected queue: number[] = [];
  /** Block position of the next fed token. */
  protected block = 1;
  protected readonly opts: ResolvedOptions;
  protected readonly tok: GenerationTokens;
  protected readonly stop: Set<number>;
  protected readonly proc: ProcessorOptions;

  constructor(prompt: CheckedPrompt, rows: number[], opts: ResolvedOptions, tok: GenerationTokens) {
    this.prompt = prompt;
    this.rows = rows;
    this.opts = opts;
    this.tok = tok;
    this.stop = new Set([tok.eop, tok.eos]);
    this.proc = { stopTokens: [...this.stop], minLength: opts.minLength, noRepeatNgram: opts.noRepeatNgram, suppress: opts.suppressTokens };
  }

  protected get maskPos(): number {
    return this.prompt.masks[this.blank]!;
  }

  protected newBlank(tokens: number[], logProbs: number[], endLogProb: number | null, stop: StopReason): BlankResult {
    return { maskPosition: this.maskPos, maskToken: this.prompt.context[this.maskPos]!, tokens, logProbs, endLogProb, stop };
  }

  /** Writes this group's rows of the next step's feed. */
  abstract fill(feed: StepFeed): void;

  /** Reads this group's logits rows; may set `perm` entries of its rows (beam reordering). */
  abstract consume(logits: Float32Array, V: number, perm: Int32Array, session: DecodeSession): GroupEvent[];

  protected feedRows(feed: StepFeed, tokens: readonly number[]): void {
    this.rows.forEach((r, i) => {
      feed.tokens[r] = tokens[i]!;
      feed.positions[r] = this.maskPos;
      feed.blockPositions[r] = this.block;
      feed.active[r] = 1;
    });
    this.block++;
  }
}

/** Greedy decoding or sampling: one row per prompt. */
export class SingleGroup extends Group {
  private tokens: number[] = [];
  private logProbs: number[] = [];
  private top: TokenLogProb[][] = [];
  /** 'generate': the logits choose the next token; 'score': they score a fixed answer; 'flush': ignored. */
  private mode: 'generate' | 'score' | 'flush' = 'generate';
  private fixed: number[] | null = null;
  private readonly rng: Rng;

  constructor(prompt: CheckedPrompt, row: number, promptIndex: number, opts: ResolvedOptions, tok: GenerationTokens) {
    super(prompt, [row], opts, tok);
    this.rng = new Rng(promptSeed(opts.seed, promptIndex));
    this.startBlank();
  }

  private startBlank(): void {
    this.blank++;
    if (this.blank >= this.prompt.masks.length) {
      this.done = true;
      return;
    }
    this.tokens = [];
    this.logProbs = [];
    this.top = [];
    this.block = 1;
    this.fixed = this.prompt.fixed[this.blank] ?? null;
    this.queue = [this.tok.sop, ...(this.fixed ?? [])];
    this.mode = this.fixed ? 'score' : 'generate';
  }

  fill(feed: StepFeed): void {
    this.feedRows(feed, [this.queue.shift()!]);
  }

  private finish(stop: StopReason, endLogProb: number | null): GroupEvent {
    const result = this.newBlank(this.tokens, this.logProbs, endLogProb, stop);
    if (this.opts.topLogProbs > 0 && stop !== 'fixed') result.top = this.top;
    this.blanks.push(result);
    return { type: 'blank', blank: this.blank, result };
  }

  consume(logits: Float32Array, V: number): GroupEvent[] {
    const r = this.rows[0]!;
    const lp = logSoftmax(logits.subarray(r * V, (r + 1) * V));
    const events: GroupEvent[] = [];
    if (this.mode === 'flush') {
      this.startBlank();
      return events;
    }
    if (this.mode === 'score') {
      const fixed = this.fixed!;
      if (this.tokens.length < fixed.length) {
        const t = fixed[this.tokens.length]!;
        this.tokens.push(t);
        this.logProbs.push(lp[t]!);
        events.push({ type: 'token', blank: this.blank, index: this.tokens.length - 1, token: t, logProb: lp[t]! });
      } else {
        events.push(this.finish('fixed', lp[this.tok.eop]!));
        this.startBlank();
      }
      return events;
    }
    const scores = Float64Array.from(lp);
    applyProcessors(scores, this.tokens, this.proc);
    let t = argmax(scores);
    if (t >= 0 && this.opts.strategy === 'sample') t = drawFrom(samplingDistribution(scores, this.opts), this.rng);
    if (t < 0) {
      events.push(this.finish('exhausted', null));
      this.startBlank();
      return events;
    }
    if (this.stop.has(t)) {
      events.push(this.finish(t === this.tok.eop ? 'eop' : 'eos', lp[t]!));
      this.startBlank();
      return events;
    }
    this.tokens.push(t);
    this.logProbs.push(lp[t]!);
    const event: GroupEvent = { type: 'token', blank: this.blank, index: this.tokens.length - 1, token: t, logProb: lp[t]! };
    if (this.opts.topLogProbs > 0) {
      const top = topOf(lp, this.opts.topLogProbs);
      this.top.push(top);
      event.top = top;
    }
    events.push(event);
    this.queue = [t];
    if (this.tokens.length >= this.opts.maxLength) {
      events.push(this.finish('length', null));
      // Later blanks must see this last token too: feed it (its logits are ignored) before moving on.
      if (this.blank + 1 < this.prompt.masks.length) this.mode = 'flush';
      else this.startBlank();
    }
    return events;
  }
}

/** Beam search (spec §4.4), run for each blank in turn; later blanks condition on the chosen hypothesis. */
export class BeamGroup extends Group {
  private readonly nb: number;
  private mode: 'search' | 'score' | 'replay' = 'search';
  private fixed: number[] | null = null;
  private fixedTokens: number[] = [];
  private fixedLogProbs: number[] = [];
  private beamTokens: number[][] = [];
  private beamLogProbs: number[][] = [];
  private beamScores: number[] = [];
  /** The token each beam feeds next. */
  private next: number[] = [];
  private hyps!: BeamHypotheses;
  /** Cache column of this blank's [sop]: the exploration starts there. */
  private startCol = 0;

  private readonly rng: Rng;

  constructor(prompt: CheckedPrompt, rows: number[], promptIndex: number, opts: ResolvedOptions, tok: GenerationTokens) {
    super(prompt, rows, opts, tok);
    this.nb = rows.length;
    this.rng = new Rng(promptSeed(opts.seed, promptIndex));
  }

  /** Starts the next blank; the session's current length is where its [sop] will go. */
  startBlank(session: DecodeSession): void {
    this.blank++;
    if (this.blank >= this.prompt.masks.length) {
      this.done = true;
      return;
    }
    this.block = 1;
    this.startCol = session.length;
    this.fixed = this.prompt.fixed[this.blank] ?? null;
    if (this.fixed) {
      this.mode = 'score';
      this.fixedTokens = [];
      this.fixedLogProbs = [];
      this.queue = [this.tok.sop, ...this.fixed];
      return;
    }
    this.mode = 'search';
    this.queue = [];
    this.next = new Array<number>(this.nb).fill(this.tok.sop);
    this.beamTokens = Array.from({ length: this.nb }, () => []);
    this.beamLogProbs = Array.from({ length: this.nb }, () => []);
    // Only beam 0 is live at first: the others are copies (spec §4.4: [0, −1e9, …]).
    this.beamScores = Array.from({ length: this.nb }, (_, i) => (i === 0 ? 0 : -1e9));
    this.hyps = new BeamHypotheses(this.nb, this.opts.lengthPenalty, this.opts.earlyStopping, this.opts.maxLength);
  }

  fill(feed: StepFeed): void {
    if (this.mode === 'search') this.feedRows(feed, this.next);
    else {
      const t = this.queue.shift()!;
      this.feedRows(feed, this.rows.map(() => t));
    }
  }

  consume(logits: Float32Array, V: number, perm: Int32Array, session: DecodeSession): GroupEvent[] {
    const events: GroupEvent[] = [];
    if (this.mode === 'replay') {
      if (this.queue.length === 0) this.startBlank(session);
      return events;
    }
    if (this.mode === 'score') {
      const r = this.rows[0]!;
      const lp = logSoftmax(logits.subarray(r * V, (r + 1) * V));
      const fixed = this.fixed!;
      if (this.fixedTokens.length < fixed.length) {
        const t = fixed[this.fixedTokens.length]!;
        this.fixedTokens.push(t);
        this.fixedLogProbs.push(lp[t]!);
        events.push({ type: 'token', blank: this.blank, index: this.fixedTokens.length - 1, token: t, logProb: lp[t]! });
      } else {
        const result = this.newBlank(this.fixedTokens, this.fixedLogProbs, lp[this.tok.eop]!, 'fixed');
        this.blanks.push(result);
        events.push({ type: 'blank', blank: this.blank, result });
        this.startBlank(session);
      }
      return events;
    }
    return this.searchStep(logits, V, perm, session);
  }

  private searchStep(logits: Float32Array, V: number, perm: Int32Array, session: DecodeSession): GroupEvent[] {
    const nb = this.nb;
    const raw: Float64Array[] = [], scores: Float64Array[] = [];
    for (let i = 0; i < nb; i++) {
      const r = this.rows[i]!;
      const lp = logSoftmax(logits.subarray(r * V, (r + 1) * V));
      const s = Float64Array.from(lp);
      applyProcessors(s, this.beamTokens[i]!, this.proc);
      for (let t = 0; t < V; t++) s[t] = s[t]! + this.beamScores[i]!;
      raw.push(lp);
      scores.push(s);
    }
    // Enough candidates that nb of them continue even if every beam's end tokens rank high.
    const count = (1 + this.stop.size) * nb;
    const cands = this.opts.beamSample ? sampleCandidates(scores, count, this.rng) : topCandidates(scores, count);
    const running: typeof cands = [];
    for (let rank = 0; rank < cands.length && running.length < nb; rank++) {
      const c = cands[rank]!;
      if (this.stop.has(c.token)) {
        // HF: an end token ranked below the top nb is not a hypothesis.
        if (rank >= nb) continue;
        this.hyps.add({
          tokens: this.beamTokens[c.beam]!, logProbs: this.beamLogProbs[c.beam]!, sumLogProbs: c.score,
          endToken: c.token, endLogProb: raw[c.beam]![c.token]!,
        });
      } else running.push(c);
    }
    const curLen = this.beamTokens[0]!.length + 1;
    if (running.length > 0) {
      const tokens = running.map((c) => [...this.beamTokens[c.beam]!, c.token]);
      const lps = running.map((c) => [...this.beamLogProbs[c.beam]!, raw[c.beam]![c.token]!]);
      const sc = running.map((c) => c.score);
      const src = running.map((c) => c.beam);
      // Fewer live continuations than beams (tiny vocabularies, heavy banning): pad with dead copies.
      while (tokens.length < nb) {
        tokens.push([...tokens[0]!]);
        lps.push([...lps[0]!]);
        sc.push(-Infinity);
        src.push(src[0]!);
      }
      this.beamTokens = tokens;
      this.beamLogProbs = lps;
      this.beamScores = sc;
      this.next = tokens.map((t) => t[t.length - 1]!);
      const best = Math.max(...sc);
      const atMax = curLen >= this.opts.maxLength;
      if (!atMax && !this.hyps.isDone(best, curLen)) {
        for (let i = 0; i < nb; i++) perm[this.rows[i]!] = this.rows[src[i]!]!;
        return [];
      }
      if (atMax && !this.hyps.isDone(best, curLen)) {
        // HF finalize: the running beams become hypotheses, cut at the maximum length.
        for (let i = 0; i < nb; i++) {
          if (sc[i] === -Infinity) continue;
          this.hyps.add({ tokens: tokens[i]!, logProbs: lps[i]!, sumLogProbs: sc[i]!, endToken: null, endLogProb: null });
        }
      }
    }
    return this.finishBlank(session);
  }

  private finishBlank(session: DecodeSession): GroupEvent[] {
    const best: Hypothesis | undefined = this.hyps.best();
    const stop: StopReason = !best ? 'exhausted' : best.endToken === null ? 'length' : best.endToken === this.tok.eop ? 'eop' : 'eos';
    const result = this.newBlank(best ? [...best.tokens] : [], best ? [...best.logProbs] : [], best?.endLogProb ?? null, stop);
    if (best) result.score = best.score;
    this.blanks.push(result);
    const events: GroupEvent[] = result.tokens.map((token, index) => ({ type: 'token', blank: this.blank, index, token, logProb: result.logProbs[index]! }));
    events.push({ type: 'blank', blank: this.blank, result });
    if (this.blank + 1 < this.prompt.masks.length) {
      // The search's columns hold every beam's exploration: hide them, then replay the chosen
      // answer on all rows so that the next blank sees exactly [sop] + answer.
      for (const r of this.rows) session.invalidate(r, this.startCol);
      this.mode = 'replay';
      this.block = 1;
      this.queue = [this.tok.sop, ...result.tokens];
    } else this.done = true;
    return events;
  }
}
