/**
 * Streaming: an async iterator over the decoder's events. Each decode step runs synchronously,
 * then control returns to the event loop, so a consumer (the CLI, a server) sees every token as
 * soon as its step is done and other work interleaves between steps.
 */
import type { GLMModel } from '../model/glm.js';
import { decodeSteps, type InfillEvent } from './infill.js';
import type { InfillOptions, InfillPrompt } from './options.js';
import type { GenerationTokens } from './tokens.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Async version of infillSteps: `for await (const e of streamInfill(...))`. Leaving the loop
 * early (`break`) ends the decode; so does the AbortSignal, checked between steps.
 */
export async function* streamInfill(
  model: GLMModel,
  prompts: readonly InfillPrompt[],
  tokens: GenerationTokens,
  options: InfillOptions = {},
  signal?: AbortSignal,
): AsyncGenerator<InfillEvent, void> {
  const it = decodeSteps(model, prompts, tokens, options);
  try {
    for (;;) {
      if (signal?.aborted) return;
      const r = it.next();
      if (r.done) return;
      yield* r.value;
      await tick();
    }
  } finally {
    it.return([]);
  }
}
