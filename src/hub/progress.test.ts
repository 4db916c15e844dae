import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stderrProgress } from './progress.js';

function sink(isTTY: boolean): { stream: NodeJS.WriteStream; out: () => string } {
  let text = '';
  const stream = { isTTY, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, out: () => text };
}

test('progress: a redrawn bar on a terminal, start and end lines otherwise', () => {
  const tty = sink(true);
  const p = stderrProgress(tty.stream);
  p({ file: 'model.safetensors', done: 0, total: 2_000_000, phase: 'start' });
  p({ file: 'model.safetensors', done: 2_000_000, total: 2_000_000, phase: 'end' });
  assert.match(tty.out(), /\rmodel\.safetensors \[#{24}\] 100% 2\.0 MB\/2\.0 MB .*\n$/);
  const log = sink(false);
  const q = stderrProgress(log.stream);
  q({ file: 'vocab.txt', done: 500_000, total: 1_000_000, phase: 'start' });
  q({ file: 'vocab.txt', done: 750_000, total: 1_000_000, phase: 'data' });
  q({ file: 'vocab.txt', done: 1_000_000, total: 1_000_000, phase: 'end' });
  assert.equal(log.out(), 'glm: downloading vocab.txt (1.0 MB, resuming at 0.5 MB)\nglm: downloaded vocab.txt\n');
});
