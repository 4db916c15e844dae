/**
 * JSON schemas of the request bodies (validated by fastify's Ajv before a handler runs: unknown
 * fields, wrong types and out-of-range numbers are 400s) and the OpenAPI description built from
 * them. Field names are snake_case, as in the completions API the server also speaks.
 */
import type { ServeLimits } from './limits.js';

const int = (minimum: number, maximum: number, description: string): object => ({ type: 'integer', minimum, maximum, description });

/** Decoding options shared by /v1/infill (the options of `glm infill`). */
function decodeProperties(l: ServeLimits): Record<string, object> {
  return {
    strategy: { type: 'string', enum: ['greedy', 'sample', 'beam'], description: 'greedy (default), sample or beam' },
    max_length: int(1, l.maxTokens, 'most tokens per blank (default 32)'),
    min_length: int(0, l.maxTokens, 'end tokens banned below this many tokens (default 0)'),
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 100, description: 'sampling temperature (default 0.9)' },
    top_k: int(0, 1_000_000, 'sampling: keep the k most likely tokens, 0 = off (default 40)'),
    top_p: { type: 'number', minimum: 0, maximum: 1, description: 'sampling: nucleus mass, 0 = off (default 0)' },
    seed: int(0, 4294967295, 'sampling seed (default 0)'),
    num_beams: int(1, l.maxBeams, 'beam search: beams (default 4)'),
    length_penalty: { type: 'number', minimum: -10, maximum: 10, description: 'beam search: score = sum / len^x (default 0)' },
    early_stopping: { enum: [true, false, 'never'], description: 'beam search stopping rule (default false)' },
    no_repeat_ngram: int(0, 16, 'never repeat an n-gram within a blank (default 0 = off)'),
    top_logprobs: int(0, 20, 'greedy / sample: the n most likely tokens of every step (default 0)'),
    stream: { type: 'boolean', description: 'stream tokens as server-sent events' },
  };
}

export function infillBody(l: ServeLimits): object {
  return {
    type: 'object',
    additionalProperties: false,
    description: 'Exactly one of text or ids.',
    properties: {
      text: { type: 'string', minLength: 1, maxLength: l.maxChars, description: 'text with [MASK], [sMASK] or [gMASK] blanks' },
      ids: { type: 'array', minItems: 1, maxItems: l.maxIds, items: { type: 'integer' }, description: 'Part A as token ids (no tokenizer involved)' },
      ...decodeProperties(l),
    },
  };
}

export function scoreBody(l: ServeLimits): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['text', 'candidates'],
    properties: {
      text: { type: 'string', minLength: 1, maxLength: l.maxChars, description: 'text with a [MASK]; the last one is the blank (blank: "first" for the first)' },
      candidates: { type: 'array', minItems: 1, maxItems: l.maxCandidates, items: { type: 'string', minLength: 1, maxLength: 1000 } },
      include_eop: { type: 'boolean', description: 'also score [eop] after each answer (default true)' },
      blank: { type: 'string', enum: ['first', 'last'] },
      leading_space: { type: 'boolean', description: 'prepend a space to answers without one (default true)' },
      length_penalty: { type: 'number', minimum: -10, maximum: 10, description: 'rank by log p / len^x (default 0)' },
    },
  };
}

const exampleSchema = {
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', minProperties: 1, maxProperties: 16, additionalProperties: { type: 'string' }, description: 'named fields of a task example, e.g. {"premise": …, "hypothesis": …}' },
  ],
};

export function classifyBody(l: ServeLimits): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['texts'],
    description: 'Either pattern + verbalizer, or a built-in task (with an optional pattern id); with neither, the fine-tuned task of the served model.',
    properties: {
      texts: { type: 'array', minItems: 1, maxItems: l.maxTexts, items: exampleSchema },
      pattern: { type: 'string', minLength: 1, maxLength: 2000, description: 'e.g. "{text} It was [MASK]."' },
      verbalizer: { type: 'object', minProperties: 2, maxProperties: 64, additionalProperties: { type: 'string', minLength: 1, maxLength: 200 }, description: 'label → answer, e.g. {"neg": " bad", "pos": " good"}' },
      task: { type: 'string', minLength: 1, maxLength: 100, description: 'a built-in task name (e.g. sentiment)' },
      pattern_id: { type: 'string', minLength: 1, maxLength: 20 },
    },
  };
}

export function completionsBody(l: ServeLimits): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['prompt'],
    properties: {
      model: { type: 'string', maxLength: 200, description: 'ignored beyond a check that it is a string (one model is served)' },
      prompt: { oneOf: [{ type: 'string', maxLength: l.maxChars }, { type: 'array', minItems: 1, maxItems: 1, items: { type: 'string', maxLength: l.maxChars } }] },
      max_tokens: int(1, l.maxTokens, 'most tokens to generate (default 16)'),
      temperature: { type: 'number', minimum: 0, maximum: 2, description: '0 = greedy; default 1' },
      top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'nucleus sampling mass (default 1 = off)' },
      stop: { oneOf: [{ type: 'string', minLength: 1, maxLength: 200 }, { type: 'array', maxItems: 4, items: { type: 'string', minLength: 1, maxLength: 200 } }, { type: 'null' }] },
      stream: { type: 'boolean' },
      seed: int(0, 4294967295, 'sampling seed (default: random)'),
      n: { type: 'integer', minimum: 1, maximum: 1, description: 'only 1 is supported' },
      logprobs: { oneOf: [{ type: 'null' }, int(0, 5, 'also return the n most likely tokens of every step')] },
      user: { type: 'string', maxLength: 200 },
    },
  };
}

export function tokenizeBody(l: ServeLimits): object {
  return {
    type: 'object',
    additionalProperties: false,
    description: 'Exactly one of text (→ ids) or ids (→ text).',
    properties: {
      text: { type: 'string', maxLength: l.maxChars },
      ids: { type: 'array', maxItems: l.maxIds, items: { type: 'integer' } },
    },
  };
}

/** The OpenAPI 3.1 description of the server, served at /openapi.json. */
export function openApi(l: ServeLimits, modelName: string): object {
  const post = (summary: string, body: object, streams = false): object => ({
    post: {
      summary,
      requestBody: { required: true, content: { 'application/json': { schema: body } } },
      responses: {
        200: { description: streams ? 'JSON, or with "stream": true server-sent events (data: {…} lines, then data: [DONE])' : 'JSON' },
        400: { description: 'invalid request: {"error": {"code", "message"}}' },
        413: { description: 'body larger than the limit' },
        503: { description: 'queue full or shutting down (Retry-After header)' },
        504: { description: 'the request ran past its time limit' },
      },
    },
  });
  const get = (summary: string, type: string): object => ({ get: { summary, responses: { 200: { description: type } } } });
  return {
    openapi: '3.1.0',
    info: { title: 'glm serve', version: '1', description: `GLM blank filling, scoring, classification and completions for model ${modelName}` },
    paths: {
      '/v1/infill': post('fill every [MASK] / [sMASK] / [gMASK] of a text, left to right', infillBody(l), true),
      '/v1/score': post('log-probabilities of candidate answers for one blank, in one forward pass', scoreBody(l)),
      '/v1/classify': post('cloze classification: pattern + verbalizer (or a task) over a list of texts', classifyBody(l)),
      '/v1/completions': post('left-to-right generation through [gMASK], completions-API shape', completionsBody(l), true),
      '/v1/tokenize': post('text → token ids, or ids → text', tokenizeBody(l)),
      '/v1/models': get('the served model, in the completions API\'s list shape', 'JSON'),
      '/health': get('liveness: model, queue depth, batch rows (503 while shutting down)', 'JSON'),
      '/metrics': get('Prometheus metrics', 'text/plain; version=0.0.4'),
      '/openapi.json': get('this description', 'JSON'),
      '/': get('the playground page', 'text/html'),
    },
  };
}
