/**
 * POST /v1/infill: every blank of a text (or of Part A given as ids) filled left to right, through
 * the batching scheduler; JSON, or server-sent events with "stream": true.
 */
import type { FastifyInstance } from 'fastify';
import { GlmError } from '../../util/errors.js';
import type { BlankResult, InfillOptions, InfillResult, TokenLogProb } from '../../generate/options.js';
import { findMasks } from '../../generate/tokens.js';
import { encodePrompts, textDelta } from '../../generate/text.js';
import type { GlmTokenizer } from '../../tokenizer/types.js';
import type { ServeContext } from '../context.js';
import { describeError } from '../http-errors.js';
import { infillBody } from '../schemas.js';
import { SseStream, onDisconnect } from '../sse.js';

export interface InfillBody {
  text?: string;
  ids?: number[];
  strategy?: 'greedy' | 'sample' | 'beam';
  max_length?: number;
  min_length?: number;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  seed?: number;
  num_beams?: number;
  length_penalty?: number;
  early_stopping?: boolean | 'never';
  no_repeat_ngram?: number;
  top_logprobs?: number;
  stream?: boolean;
}

/** Default tokens per blank when max_length is not given. */
const DEFAULT_MAX_LENGTH = 32;

export function infillOptions(b: InfillBody, ctx: ServeContext): InfillOptions {
  const o: InfillOptions = { maxLength: Math.min(b.max_length ?? DEFAULT_MAX_LENGTH, ctx.limits.maxTokens) };
  if (b.strategy !== undefined) o.strategy = b.strategy;
  if (b.min_length !== undefined) o.minLength = b.min_length;
  if (b.temperature !== undefined) o.temperature = b.temperature;
  if (b.top_k !== undefined) o.topK = b.top_k;
  if (b.top_p !== undefined) o.topP = b.top_p;
  if (b.seed !== undefined) o.seed = b.seed;
  if (b.num_beams !== undefined) o.numBeams = b.num_beams;
  if (b.length_penalty !== undefined) o.lengthPenalty = b.length_penalty;
  if (b.early_stopping !== undefined) o.earlyStopping = b.early_stopping;
  if (b.no_repeat_ngram !== undefined) o.noRepeatNgram = b.no_repeat_ngram;
  if (b.top_logprobs !== undefined) o.topLogProbs = b.top_logprobs;
  return o;
}

/** Part A of the request: the text encoded per the model's layout, or the ids as given. */
export function infillContext(b: InfillBody, ctx: ServeContext): number[] {
  if ((b.text === undefined) === (b.ids === undefined)) throw new GlmError('E_REQUEST_INVALID', 'give exactly one of "text" or "ids"');
  const { served, limits } = ctx;
  const context = b.ids ?? encodePrompts(served.tokenizer, [b.text!], { layout: served.layout }).contexts[0]!;
  const blanks = findMasks(context, served.tokens).length;
  if (blanks > limits.maxBlanks) throw new GlmError('E_TOO_MANY_BLANKS', `the prompt has ${blanks} blanks; this server fills at most ${limits.maxBlanks}`);
  return context;
}

const topJson = (tok: GlmTokenizer, top: readonly TokenLogProb[]): object[] => top.map((t) => ({ token: t.token, text: tok.decode([t.token]), logprob: t.logProb }));

export function blankJson(tok: GlmTokenizer, b: BlankResult): object {
  return {
    text: tok.decode(b.tokens, { skipSpecial: true }),
    tokens: b.tokens,
    logprobs: b.logProbs,
    end_logprob: b.endLogProb,
    stop: b.stop,
    ...(b.score !== undefined ? { score: b.score } : {}),
    ...(b.top ? { top: b.top.map((step) => topJson(tok, step)) } : {}),
  };
}

export function infillJson(tok: GlmTokenizer, r: InfillResult): object {
  const generated = r.blanks.reduce((n, b) => n + b.tokens.length, 0);
  return {
    text: tok.decode(r.filled, { skipSpecial: true }),
    blanks: r.blanks.map((b) => blankJson(tok, b)),
    usage: { prompt_tokens: r.context.length, completion_tokens: generated },
  };
}

export function registerInfill(app: FastifyInstance, ctx: ServeContext): void {
  const tok = ctx.served.tokenizer;
  app.post('/v1/infill', { schema: { body: infillBody(ctx.limits) } }, async (req, reply) => {
    const b = req.body as InfillBody;
    const prompt = infillContext(b, ctx);
    const options = infillOptions(b, ctx);
    if (!b.stream) {
      const ticket = ctx.scheduler.submit({ prompt, options, timeoutMs: ctx.limits.timeoutMs });
      onDisconnect(reply, () => ticket.cancel());
      return infillJson(tok, await ticket.result);
    }
    // Per blank: the ids so far and the text already sent (textDelta holds back split characters).
    const shown = new Map<number, { ids: number[]; shown: string }>();
    let sse: SseStream | null = null;
    const ticket = ctx.scheduler.submit({
      prompt, options, timeoutMs: ctx.limits.timeoutMs,
      onEvent: (e) => {
        const s = shown.get(e.blank) ?? { ids: [], shown: '' };
        shown.set(e.blank, s);
        if (e.type === 'token') {
          s.ids.push(e.token);
          const d = textDelta(tok, s.ids, s.shown);
          s.shown = d.shown;
          sse!.send({ type: 'token', blank: e.blank, index: e.index, token: e.token, text: d.delta, logprob: e.logProb, ...(e.top ? { top: topJson(tok, e.top) } : {}) });
        } else {
          const full = tok.decode(e.result.tokens, { skipSpecial: true });
          sse!.send({ type: 'blank', blank: e.blank, text: full.startsWith(s.shown) ? full.slice(s.shown.length) : '', result: blankJson(tok, e.result) });
        }
      },
    });
    sse = new SseStream(reply);
    sse.onAbort(() => ticket.cancel());
    try {
      sse.send({ type: 'done', result: infillJson(tok, await ticket.result) });
    } catch (e) {
      const d = describeError(e);
      sse.send({ type: 'error', ...d.body });
    }
    sse.end();
  });
}
