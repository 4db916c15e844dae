/**
 * POST /v1/completions: left-to-right generation through a trailing [gMASK], in the shape of the
 * widely used completions API (prompt, max_tokens, temperature, top_p, stop, stream, logprobs),
 * so existing clients work. temperature 0 is greedy decoding; otherwise sampling (top-k off).
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { GlmError, isGlmError } from '../../util/errors.js';
import type { InfillOptions, StopReason, TokenLogProb } from '../../generate/options.js';
import { findMasks } from '../../generate/tokens.js';
import { encodePrompts, textDelta } from '../../generate/text.js';
import type { ServeContext } from '../context.js';
import { describeError } from '../http-errors.js';
import { completionsBody } from '../schemas.js';
import { SseStream, onDisconnect } from '../sse.js';
import { findStop, safeLength } from '../stop.js';

interface CompletionsBody {
  model?: string;
  prompt: string | string[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[] | null;
  stream?: boolean;
  seed?: number;
  n?: number;
  logprobs?: number | null;
  user?: string;
}

/** The completions API's defaults. */
const DEFAULT_MAX_TOKENS = 16;
const DEFAULT_TEMPERATURE = 1;

function options(b: CompletionsBody, maxTokens: number): InfillOptions {
  const t = b.temperature ?? DEFAULT_TEMPERATURE;
  const o: InfillOptions = { maxLength: Math.min(b.max_tokens ?? DEFAULT_MAX_TOKENS, maxTokens) };
  if (t > 0) Object.assign(o, { strategy: 'sample', temperature: t, topK: 0, topP: b.top_p !== undefined && b.top_p < 1 ? b.top_p : 0, seed: b.seed ?? crypto.randomInt(2 ** 31) });
  if (b.logprobs) o.topLogProbs = b.logprobs;
  return o;
}

const finishReason = (s: StopReason | 'stop-sequence'): string => (s === 'length' ? 'length' : 'stop');

export function registerCompletions(app: FastifyInstance, ctx: ServeContext): void {
  const { served, scheduler, limits } = ctx;
  const tok = served.tokenizer;
  app.post('/v1/completions', { schema: { body: completionsBody(limits) } }, async (req, reply) => {
    const b = req.body as CompletionsBody;
    const promptText = Array.isArray(b.prompt) ? b.prompt[0]! : b.prompt;
    if (findMasks(tok.encode(promptText), served.tokens).length > 0) {
      throw new GlmError('E_REQUEST_INVALID', 'a completions prompt cannot contain [MASK], [sMASK] or [gMASK]; use /v1/infill for blanks');
    }
    const context = encodePrompts(tok, [promptText], { layout: served.layout, appendMask: true }).contexts[0]!;
    const stops = b.stop == null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop;
    const id = `cmpl-${crypto.randomUUID()}`, created = Math.floor(Date.now() / 1000);
    const ids: number[] = [], lps: number[] = [], tops: TokenLogProb[][] = [];
    let text = '', sent = 0, stopped = false, sse: SseStream | null = null;
    const chunk = (t: string, finish: string | null): object => ({ id, object: 'text_completion', created, model: served.name, choices: [{ text: t, index: 0, logprobs: null, finish_reason: finish }] });
    const ticket = scheduler.submit({
      prompt: context, options: options(b, limits.maxTokens), timeoutMs: limits.timeoutMs,
      onEvent: (e) => {
        if (e.type !== 'token' || stopped) return;
        ids.push(e.token);
        lps.push(e.logProb);
        if (e.top) tops.push(e.top);
        text = textDelta(tok, ids, text).shown;
        const cut = findStop(text, stops);
        if (cut >= 0) {
          text = text.slice(0, cut);
          stopped = true;
          ticket.cancel();
        }
        if (sse) {
          const upTo = stopped ? text.length : safeLength(text, stops);
          if (upTo > sent) sse.send(chunk(text.slice(sent, upTo), null));
          sent = Math.max(sent, upTo);
        }
      },
    });
    const finish = async (): Promise<string> => {
      try {
        const r = await ticket.result;
        text = tok.decode(r.blanks[0]!.tokens, { skipSpecial: true });
        return finishReason(r.blanks[0]!.stop);
      } catch (e) {
        if (stopped && isGlmError(e, 'E_CANCELLED')) return 'stop';
        throw e;
      }
    };
    const logprobs = (): object | null => (b.logprobs == null ? null : {
      tokens: ids.map((t) => tok.decode([t])),
      token_logprobs: lps,
      top_logprobs: b.logprobs > 0 ? tops.map((step) => Object.fromEntries(step.map((t) => [tok.decode([t.token]), t.logProb]))) : null,
    });
    const usage = (): object => ({ prompt_tokens: context.length, completion_tokens: ids.length, total_tokens: context.length + ids.length });
    if (!b.stream) {
      onDisconnect(reply, () => ticket.cancel());
      const reason = await finish();
      return { id, object: 'text_completion', created, model: served.name, choices: [{ text, index: 0, logprobs: logprobs(), finish_reason: reason }], usage: usage() };
    }
    sse = new SseStream(reply);
    sse.onAbort(() => ticket.cancel());
    try {
      const reason = await finish();
      if (text.length > sent) sse.send(chunk(text.slice(sent), null));
      sse.send({ ...chunk('', reason), usage: usage() });
    } catch (e) {
      const d = describeError(e);
      sse.send(d.body);
    }
    sse.end();
  });
}
