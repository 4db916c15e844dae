/** POST /v1/score: log-probabilities of candidate answers for one blank, all in one forward pass (src/finetune scoreTextChoices). */
import type { FastifyInstance } from 'fastify';
import { GlmError } from '../../util/errors.js';
import { noGrad } from '../../tensor/tensor.js';
import { scoreTextChoices, type TextScoreOptions } from '../../finetune/score-text.js';
import type { ServeContext } from '../context.js';
import { scoreBody } from '../schemas.js';

interface ScoreBody {
  text: string;
  candidates: string[];
  include_eop?: boolean;
  blank?: 'first' | 'last';
  leading_space?: boolean;
  length_penalty?: number;
}

export function registerScore(app: FastifyInstance, ctx: ServeContext): void {
  const { model, tokenizer } = ctx.served;
  app.post('/v1/score', { schema: { body: scoreBody(ctx.limits) } }, async (req) => {
    const b = req.body as ScoreBody;
    const opts: TextScoreOptions = {};
    if (b.include_eop !== undefined) opts.includeEop = b.include_eop;
    if (b.blank !== undefined) opts.blank = b.blank;
    if (b.leading_space !== undefined) opts.leadingSpace = b.leading_space;
    if (b.length_penalty !== undefined) opts.lengthPenalty = b.length_penalty;
    // The candidates share one sequence: bound its length before the forward pass.
    const total = tokenizer.encode(b.text).length + b.candidates.reduce((n, c) => n + tokenizer.encode(c).length + 2, 0);
    if (total > ctx.limits.maxScoreTokens) {
      throw new GlmError('E_SCORE_TOO_LONG', `the text and candidates need about ${total} tokens in one pass; this server scores at most ${ctx.limits.maxScoreTokens}`);
    }
    const scores = await ctx.scheduler.runTask(() => noGrad(() => scoreTextChoices(model, tokenizer, b.text, b.candidates, opts)));
    const best = scores.reduce((x, y) => (y.score > x.score ? y : x));
    return {
      best: best.choice,
      candidates: scores.map((s) => ({ text: s.choice, tokens: s.tokens, logprob: s.logProb, score: s.score, probability: s.probability, token_logprobs: s.tokenLogProbs })),
    };
  });
}
