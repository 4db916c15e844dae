/**
 * Blank filling at the token-id level: every [MASK] / [sMASK] / [gMASK] of every prompt, left to
 * right, in one batched incremental decode (spec §4.1, §4.2), greedy, sampled or by beam search.
 *
 *   infill(model, prompts, tokens, opts)        → InfillResult[]        (runs to the end)
 *   infillSteps(model, prompts, tokens, opts)   → Generator<InfillEvent> (events as produced)
 *   streamInfill(...)                           → AsyncGenerator<InfillEvent> (stream.ts)
 */
import type { GLMModel } from '../model/glm.js';
import { BeamGroup, SingleGroup, type Group, type GroupEvent } from './groups.js';
import { checkPrompts, resolveOptions, type BlankResult, type TokenLogProb, type InfillOptions, type InfillPrompt, type InfillResult } from './options.js';
import { DecodeSession, type StepFeed } from './session.js';
import type { GenerationTokens } from './tokens.js';

/**
 * What the decoder reports while it runs. Tokens come as soon as they are chosen (greedy,
 * sampling, fixed answers); beam search delivers a blank's tokens when its search ends.
 */
export type InfillEvent =
  | { type: 'token'; prompt: number; blank: number; index: number; token: number; logProb: number; top?: TokenLogProb[] }
  | { type: 'blank'; prompt: number; blank: number; result: BlankResult }
  | { type: 'done'; results: InfillResult[] };

/** The context with each mask token replaced by its answer. */
export function fillContext(context: readonly number[], blanks: readonly BlankResult[]): number[] {
  const byPos = new Map(blanks.map((b) => [b.maskPosition, b.tokens]));
  const out: number[] = [];
  context.forEach((id, i) => {
    const ans = byPos.get(i);
    if (ans) out.push(...ans);
    else out.push(id);
  });
  return out;
}

/**
 * The decode loop: yields the events of each step as one array (possibly empty), then the
 * 'done' event alone. Used by infillSteps and streamInfill.
 */
export function* decodeSteps(model: GLMModel, prompts: readonly InfillPrompt[], tokens: GenerationTokens, options: InfillOptions = {}): Generator<InfillEvent[], InfillResult[]> {
  const cfg = model.config, V = cfg.vocab_size;
  const opts = resolveOptions(cfg, options);
  const checked = checkPrompts(cfg, tokens, prompts, opts.maxLength);
  const session = DecodeSession.prefill(model, checked.map((p) => p.context), { padId: tokens.pad ?? tokens.eos, cacheKind: opts.cacheKind });
  let groups: Group[];
  if (opts.strategy === 'beam') {
    const nb = opts.numBeams;
    // One prefilled row per prompt, copied to its nb beam rows.
    session.select(checked.flatMap((_, i) => new Array<number>(nb).fill(i)));
    groups = checked.map((p, i) => new BeamGroup(p, Array.from({ length: nb }, (_, k) => i * nb + k), i, opts, tokens));
    for (const g of groups) (g as BeamGroup).startBlank(session);
  } else {
    groups = checked.map((p, i) => new SingleGroup(p, i, i, opts, tokens));
  }
  const index = new Map(groups.map((g, i) => [g, i]));
  let live = groups.filter((g) => !g.done);
  while (live.length > 0) {
    const B = session.batch;
    const feed: StepFeed = { tokens: new Int32Array(B), positions: new Int32Array(B), blockPositions: new Int32Array(B), active: new Uint8Array(B) };
    for (const g of live) g.fill(feed);
    const logits = session.step(feed);
    const perm = Int32Array.from({ length: B }, (_, i) => i);
    const events: InfillEvent[] = [];
    for (const g of live) {
      const prompt = index.get(g)!;
      for (const e of g.consume(logits, V, perm, session) as GroupEvent[]) events.push({ ...e, prompt });
    }
    session.reorder(perm);
    yield events;
    const still = live.filter((g) => !g.done);
    if (still.length < live.length && still.length > 0) {
      // Drop finished prompts' rows so that they cost nothing from now on.
      const keep: number[] = [];
      for (const g of still) {
        g.rows = g.rows.map((r) => {
          keep.push(r);
          return keep.length - 1;
        });
      }
      session.select(keep);
    }
    live = still;
  }
  const results: InfillResult[] = groups.map((g) => ({ context: g.prompt.context, blanks: g.blanks, filled: fillContext(g.prompt.context, g.blanks) }));
  yield [{ type: 'done', results }];
  return results;
}

/**
 * Decodes every blank of every prompt, yielding events as they are produced; the last event is
 * 'done' with the results. Prompts are Part A as ids (see buildContext for `[CLS] … [eos]`).
 */
export function* infillSteps(model: GLMModel, prompts: readonly InfillPrompt[], tokens: GenerationTokens, options: InfillOptions = {}): Generator<InfillEvent, InfillResult[]> {
  const it = decodeSteps(model, prompts, tokens, options);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    yield* r.value;
  }
}

/** Fills every blank of every prompt and returns the results (see infillSteps). */
export function infill(model: GLMModel, prompts: readonly InfillPrompt[], tokens: GenerationTokens, options: InfillOptions = {}): InfillResult[] {
  const it = decodeSteps(model, prompts, tokens, options);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}
