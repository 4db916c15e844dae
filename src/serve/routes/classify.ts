/**
 * POST /v1/classify: cloze classification of a list of texts (spec §5.1). The pattern and
 * verbalizer come from the request, from a built-in task, or from the served model's
 * finetune.json; a fine-tuned classifier head is used when the model has one and the request
 * names no pattern. Scoring is src/finetune's (clozeScorer, classifierLogits).
 */
import type { FastifyInstance } from 'fastify';
import { GlmError } from '../../util/errors.js';
import { noGrad } from '../../tensor/tensor.js';
import { clozeScorer } from '../../finetune/cloze.js';
import { classifierLogits } from '../../finetune/classifier.js';
import { defaultMaxSeqLength } from '../../finetune/setup.js';
import { resolveTask } from '../../finetune/task-file.js';
import { encodeClassifier, encodeCloze, getPvp, getTask, templatePvp, type ClozeTask, type Pvp, type Task, type TaskExample } from '../../tasks/index.js';
import type { ServeContext } from '../context.js';
import { classifyBody } from '../schemas.js';

interface ClassifyBody {
  texts: (string | Record<string, string>)[];
  pattern?: string;
  verbalizer?: Record<string, string>;
  task?: string;
  pattern_id?: string;
}

function labelTask(t: Task): ClozeTask & { labels: readonly string[] } {
  if (t.kind !== 'classification' || !t.labels) throw new GlmError('E_TASK_KIND', `task ${t.name} is ${t.kind}, not a classification over fixed labels (score its candidates with /v1/score)`);
  return t as ClozeTask & { labels: readonly string[] };
}

/** The pattern and labels a request asks for, or null for the fine-tuned head. */
function choosePvp(b: ClassifyBody, ctx: ServeContext): { pvp: Pvp; labels: readonly string[] } | null {
  if (b.pattern !== undefined || b.verbalizer !== undefined) {
    if (b.pattern === undefined || b.verbalizer === undefined) throw new GlmError('E_REQUEST_INVALID', 'give both "pattern" and "verbalizer"');
    if (b.task !== undefined || b.pattern_id !== undefined) throw new GlmError('E_REQUEST_INVALID', 'give either pattern + verbalizer or task, not both');
    return { pvp: templatePvp({ template: b.pattern, verbalizer: b.verbalizer }), labels: Object.keys(b.verbalizer) };
  }
  if (b.task !== undefined) {
    // Only built-in names: a request never names a file on the server.
    const task = labelTask(getTask(b.task));
    return { pvp: getPvp(task, b.pattern_id), labels: task.labels };
  }
  if (b.pattern_id !== undefined) throw new GlmError('E_REQUEST_INVALID', '"pattern_id" needs "task"');
  const info = ctx.served.info;
  if (info?.mode === 'classifier') return null;
  if (info?.mode === 'cloze' || info?.mode === 'ptuning') {
    const task = labelTask(resolveTask(info.task));
    return { pvp: getPvp(task, info.pattern), labels: task.labels };
  }
  throw new GlmError('E_REQUEST_INVALID', 'give "pattern" + "verbalizer" or a built-in "task" (the served model is not fine-tuned for a task)');
}

function softmax(xs: readonly number[]): number[] {
  const m = Math.max(...xs), e = xs.map((x) => Math.exp(x - m)), z = e.reduce((a, c) => a + c, 0);
  return e.map((x) => x / z);
}

export function registerClassify(app: FastifyInstance, ctx: ServeContext): void {
  const { model, tokenizer: tok, tokens, info, head, prompt } = ctx.served;
  const maxSeqLength = info?.maxSeqLength ?? defaultMaxSeqLength(model);
  app.post('/v1/classify', { schema: { body: classifyBody(ctx.limits) } }, async (req) => {
    const b = req.body as ClassifyBody;
    const examples: TaskExample[] = b.texts.map((t, i) => ({ id: `texts[${i}]`, fields: typeof t === 'string' ? { text: t } : t }));
    const chosen = choosePvp(b, ctx);
    let labels: readonly string[], scores: number[][];
    if (chosen) {
      labels = chosen.labels;
      const encoded = examples.map((ex) => encodeCloze(chosen.pvp, ex, tok, { maxSeqLength }));
      // The fine-tuned pattern (no pattern or task in the request) keeps its scoring, and its continuous prompt.
      const own = (info?.mode === 'cloze' || info?.mode === 'ptuning') && !b.pattern && !b.task;
      const c = own ? info!.cloze : undefined;
      const scorer = clozeScorer(model, tokens, {
        ...(c ? { answerMode: c.answerMode, includeEop: c.includeEop, lengthPenalty: c.lengthPenalty } : {}),
        ...(own && prompt ? { prompt } : {}),
      });
      scores = await ctx.scheduler.runTask(() => scorer(encoded) as number[][]);
    } else {
      const task = labelTask(resolveTask(info!.task));
      labels = task.labels;
      if (!task.classifierInput) throw new GlmError('E_TASK_KIND', `task ${task.name} has no classifier input`);
      const enc = examples.map((ex) => encodeClassifier(task.classifierInput!(ex), undefined, tok, maxSeqLength));
      const L = labels.length;
      scores = await ctx.scheduler.runTask(() => {
        const logits = noGrad(() => classifierLogits(model, head!, enc, tokens, false)).f32;
        return enc.map((_, i) => Array.from(logits.subarray(i * L, (i + 1) * L)));
      });
    }
    return {
      labels,
      results: scores.map((s) => {
        const p = softmax(s);
        return { label: labels[p.indexOf(Math.max(...p))], probabilities: p, scores: s };
      }),
    };
  });
}
