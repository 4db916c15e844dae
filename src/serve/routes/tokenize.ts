/** POST /v1/tokenize: text → ids (with their vocabulary strings), or ids → text. */
import type { FastifyInstance } from 'fastify';
import { GlmError } from '../../util/errors.js';
import type { ServeContext } from '../context.js';
import { tokenizeBody } from '../schemas.js';

export function registerTokenize(app: FastifyInstance, ctx: ServeContext): void {
  const tok = ctx.served.tokenizer, V = ctx.served.model.config.vocab_size;
  app.post('/v1/tokenize', { schema: { body: tokenizeBody(ctx.limits) } }, async (req) => {
    const b = req.body as { text?: string; ids?: number[] };
    if ((b.text === undefined) === (b.ids === undefined)) throw new GlmError('E_REQUEST_INVALID', 'give exactly one of "text" or "ids"');
    if (b.text !== undefined) {
      const ids = tok.encode(b.text);
      return { ids, tokens: ids.map((i) => tok.idToToken(i) ?? null), count: ids.length };
    }
    b.ids!.forEach((id, i) => {
      if (id < 0 || id >= V) throw new GlmError('E_TOKEN_ID', `ids[${i}] = ${id} is outside the vocabulary [0, ${V})`);
    });
    return { text: tok.decode(b.ids!), count: b.ids!.length };
  });
}
