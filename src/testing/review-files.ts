/**
 * A tiny two-label review task on disk for fine-tuning tests: "the film was <word>", five
 * positive and five negative words in train.jsonl, the first `devPerLabel` of each in dev.jsonl.
 */
import fs from 'node:fs';
import path from 'node:path';

export const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** A writer of small files under `root` that returns each file's path. */
export function fileWriter(root: string): (name: string, content: string) => string {
  return (name, content) => {
    const f = path.join(root, name);
    fs.writeFileSync(f, content);
    return f;
  };
}

const GOOD = ['great', 'lovely', 'superb', 'fine', 'nice'];
const BAD = ['awful', 'boring', 'dreadful', 'poor', 'dull'];
const reviews = (words: string[], label: string): object[] => words.map((w) => ({ text: `the film was ${w}`, label }));

/** Writes train.jsonl and dev.jsonl of the review task under `root`. */
export function writeReviewFiles(root: string, devPerLabel: number): void {
  const write = fileWriter(root);
  write('train.jsonl', jsonl([...reviews(GOOD, 'pos'), ...reviews(BAD, 'neg')]));
  write('dev.jsonl', jsonl([...reviews(GOOD.slice(0, devPerLabel), 'pos'), ...reviews(BAD.slice(0, devPerLabel), 'neg')]));
}
