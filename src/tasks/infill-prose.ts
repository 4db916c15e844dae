/**
 * Text infilling on held-out prose (spec §5.5): passages of "Copyright Does Not Exist" (Debian
 * cfi-en, public domain) with words masked at ratios 0.1–0.5; scored by BLEU of the filled text
 * against the original, per ratio (src/eval/metrics/infill.ts). Committed in data/infill-cfi.jsonl.gz.
 */
import { GlmError } from '../util/errors.js';
import { readGzJsonl } from './gz-jsonl.js';
import { requireArray, requireText } from './jsonl.js';
import { committedDataFile } from './package-data.js';
import type { InfillExample, InfillTask, Split } from './types.js';

export const infillProse: InfillTask = {
  name: 'infill-prose',
  description: 'Fill masked words of held-out prose; BLEU per mask ratio',
  source: 'Linus Walleij, Copyright Does Not Exist (Debian cfi-en 3.0-10.2), public domain; 200 passages',
  kind: 'infill',
  ratios: [0.1, 0.2, 0.3, 0.4, 0.5],
  splits: ['validation', 'test'],
  metrics: ['bleu'],
  load(split: Split, opts = {}): InfillExample[] {
    const file = opts.file ?? committedDataFile('infill-cfi.jsonl.gz');
    const out: InfillExample[] = [];
    for (const { line, value } of readGzJsonl(file)) {
      if (value['split'] !== split) continue;
      const ref = { file, line };
      const ratio = value['ratio'];
      if (typeof ratio !== 'number' || !(ratio > 0 && ratio < 1)) throw new GlmError('E_TASK_FIELD_TYPE', `line ${line}: ratio must be a number in (0, 1)`, { path: file });
      const masked = requireText(value, 'masked', ref);
      const spans = requireArray(value, 'spans', ref).map(String);
      if (masked.split('[MASK]').length - 1 !== spans.length) {
        throw new GlmError('E_TASK_DATA', `line ${line}: ${spans.length} spans for ${masked.split('[MASK]').length - 1} blanks`, { path: file });
      }
      out.push({ id: requireText(value, 'id', ref), ratio, masked, original: requireText(value, 'original', ref), spans });
    }
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  },
};
