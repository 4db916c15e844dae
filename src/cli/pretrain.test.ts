/** `glm pretrain` flags: registered, documented, and bad values rejected with a clear message (exit 2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
const glm = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('glm pretrain --help lists the run, objective and ablation flags', () => {
  const r = glm('pretrain', '--help');
  assert.equal(r.code, 0);
  for (const flag of ['--config', '--data', '--steps', '--batch', '--seq', '--lr', '--out', '--resume', '--max-minutes', '--bert-prob', '--gap-sentence-prob', '--gpt-prob',
    '--task-mask', '--no-shuffle-blocks', '--no-block-position', '--sentinel-tokens', '--masked-lm', '--causal-lm', '--grad-accumulation', '--checkpoint-interval']) {
    assert.ok(r.out.includes(flag), flag);
  }
});

test('glm pretrain rejects bad flags with one clear line and exit status 2', () => {
  const cases: [string[], RegExp][] = [
    [['--steps', 'abc'], /--steps must be an integer ≥ 1, got "abc"/],
    [['--bert-prob', '0.5', '--gpt-prob', '0.6'], /must be non-negative and sum to 1/],
    [['--warmup', '2'], /--warmup must be a number in \[0, 1\], got "2"/],
    [['--config', '/nonexistent/config.json', '--tokenizer', 'bert-base-uncased'], /no such file/],
  ];
  for (const [args, re] of cases) {
    const r = glm('pretrain', '--out', '/tmp/glm-never-written', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /^glm: error: /);
    assert.match(r.err, re);
  }
});
