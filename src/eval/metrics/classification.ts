/**
 * Classification metrics: accuracy and macro-F1 with scikit-learn's definitions
 * (`accuracy_score`, `f1_score(average='macro')`, zero_division = 0), which GLM's SuperGLUE
 * evaluation uses (CB reports macro-F1).
 */
import { GlmError } from '../../util/errors.js';

type Label = string | number | boolean;

function checkLengths(predictions: readonly unknown[], golds: readonly unknown[]): void {
  if (predictions.length !== golds.length) {
    throw new GlmError('E_METRIC_INPUT', `${predictions.length} predictions for ${golds.length} gold labels`);
  }
}

/** Fraction of predictions equal to the gold label (0 for no examples). */
export function accuracy(predictions: readonly Label[], golds: readonly Label[]): number {
  checkLengths(predictions, golds);
  if (golds.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < golds.length; i++) if (predictions[i] === golds[i]) ok++;
  return ok / golds.length;
}

export interface LabelF1 {
  label: Label;
  precision: number;
  recall: number;
  f1: number;
  /** Number of gold examples with this label. */
  support: number;
}

export interface F1Report {
  macroF1: number;
  perLabel: LabelF1[];
}

/**
 * Per-label precision / recall / F1 and their unweighted mean. `labels` defaults to the sorted
 * union of gold and predicted labels (as scikit-learn); a label never predicted has precision 0.
 */
export function macroF1(predictions: readonly Label[], golds: readonly Label[], labels?: readonly Label[]): F1Report {
  checkLengths(predictions, golds);
  const set = labels ?? [...new Set<Label>([...golds, ...predictions])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const perLabel: LabelF1[] = set.map((label) => {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < golds.length; i++) {
      const p = predictions[i] === label, g = golds[i] === label;
      if (p && g) tp++;
      else if (p) fp++;
      else if (g) fn++;
    }
    const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support: tp + fn };
  });
  const macro = perLabel.length ? perLabel.reduce((s, l) => s + l.f1, 0) / perLabel.length : 0;
  return { macroF1: macro, perLabel };
}
