/**
 * The GLM tokenizer class a hub tokenizer_config.json names. The released THUDM/glm-* repositories
 * use remote code (tokenization_glm.py, never executed here): `tokenizer_class` and/or
 * `auto_map.AutoTokenizer` ("tokenization_glm.GLMBertTokenizer", or a [slow, fast] pair) name the
 * class. The generic "GLMTokenizer" (which dispatches at run time) and a missing class give '',
 * leaving the family to the vocabulary files (load.ts).
 */
export const GLM_TOKENIZER_CLASSES = ['GLMBertTokenizer', 'GLMGPT2Tokenizer', 'GLMRobertaTokenizer', 'GLMChineseTokenizer'] as const;
export type GlmTokenizerClass = (typeof GLM_TOKENIZER_CLASSES)[number];

const className = (ref: unknown): string => (typeof ref === 'string' ? ref.slice(ref.lastIndexOf('.') + 1) : '');

/** The specific GLM class, '' when the config leaves it to the files, or the foreign class name as written. */
export function hubTokenizerClass(cfg: Record<string, unknown>): GlmTokenizerClass | '' | string {
  const named = className(cfg['tokenizer_class']).replace(/Fast$/, '');
  if ((GLM_TOKENIZER_CLASSES as readonly string[]).includes(named)) return named;
  const auto = (cfg['auto_map'] as Record<string, unknown> | undefined)?.['AutoTokenizer'];
  const refs = Array.isArray(auto) ? auto : [auto];
  for (const r of refs) {
    const c = className(r).replace(/Fast$/, '');
    if ((GLM_TOKENIZER_CLASSES as readonly string[]).includes(c)) return c;
  }
  return named === 'GLMTokenizer' ? '' : named;
}
