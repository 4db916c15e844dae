/**
 * `glm infill` end to end: a model folder with tokenizer files (as `glm pretrain` writes them),
 * text prompts, --json / --stream / --ids, and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withBackend, referenceBackend } from '../backend/index.js';
import { saveModel, loadFolder } from '../io/checkpoint.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { saveTokenizer } from '../tokenizer/save.js';
import { infillText } from '../generate/text.js';
import { infill } from '../generate/infill.js';
import { specialTokensFromConfig } from '../generate/tokens.js';
import { tinyModel } from '../testing/test-model.js';
import { goldenDir, repoRoot } from '../testing/helpers.js';

const main = path.join(repoRoot(), 'dist', 'cli', 'main.js');

function glm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, '--backend', 'reference', 'infill', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A model folder like `glm pretrain` leaves: config.json, model.safetensors, tokenizer files.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-infill-'));
const tok = loadTokenizer('glm-large');
const model = tinyModel({ vocab: tok.paddedVocabSize, hidden: 32, layers: 2, maxSeq: 64, seed: 4 });
saveModel(model, dir);
saveTokenizer(tok, dir);
const PROMPT = 'the capital of france is [MASK] , and the river is the [MASK] .';

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('glm infill fills every blank of a text prompt; --json equals the library', () => {
  const r = glm(['--model', dir, '--max-length', '5', '--json', PROMPT]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { text: string; blanks: { tokens: number[]; text: string }[] }[];
  assert.equal(out.length, 1);
  assert.equal(out[0]!.blanks.length, 2);
  assert.ok(out[0]!.text.startsWith('the capital of france is'), out[0]!.text);
  assert.ok(!out[0]!.text.includes('[MASK]'));
  const want = withBackend(referenceBackend, () => infillText(loadFolder(dir).model, tok, PROMPT, { maxLength: 5, layout: tok.defaultLayout ?? 'original' }))[0]!;
  assert.deepEqual(out[0]!.blanks.map((b) => b.tokens), want.blanks.map((b) => b.tokens));
  assert.equal(out[0]!.text, want.text);
  // Plain output: the filled text.
  const plain = glm(['--model', dir, '--max-length', '5', PROMPT]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, want.text + '\n');
});

test('glm infill --stream prints each blank as it grows, then the filled text; beam and sampling run', () => {
  const r = glm(['--model', dir, '--max-length', '4', '--stream', PROMPT]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  assert.match(lines[0]!, /^\[1\] /);
  assert.match(lines[1]!, /^\[2\] /);
  assert.match(lines[2]!, /^=> the capital of france is/);
  for (const extra of [['--strategy', 'beam', '--beams', '3', '--length-penalty', '1'], ['--strategy', 'sample', '--top-k', '5', '--seed', '3']]) {
    const s = glm(['--model', dir, '--max-length', '3', ...extra, PROMPT, 'a second [MASK] prompt']);
    assert.equal(s.status, 0, s.stderr);
    assert.equal(s.stdout.trim().split('\n').length, 2, s.stdout);
  }
});

test('glm infill uses the original layout ([CLS] … eos) for a `glm pretrain` model, the hub one otherwise', () => {
  const pretrained = path.join(dir, 'pretrained');
  saveModel(model, pretrained, { glm_ts_steps: '60' });
  saveTokenizer(tok, pretrained);
  const context = (d: string, extra: string[] = []): number[] => {
    const r = glm(['--model', d, '--max-length', '1', '--json', ...extra, 'a [MASK] b']);
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { context: number[] }[])[0]!.context;
  };
  const s = tok.special;
  assert.equal(context(pretrained).at(-1), s.eos);
  assert.equal(context(dir).at(-1), s.sep);
  assert.equal(context(dir, ['--layout', 'original']).at(-1), s.eos);
});

test('glm infill --ids works without a tokenizer (ids from config.json)', () => {
  const r = glm(['--model', goldenDir('tiny'), '--ids', '1,151,155,3,133,135,4,103,82,5;1,20,3,2', '--max-length', '3', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { filled: number[] }[];
  const { model: golden } = loadFolder(goldenDir('tiny'));
  const want = withBackend(referenceBackend, () =>
    infill(golden, [[1, 151, 155, 3, 133, 135, 4, 103, 82, 5], [1, 20, 3, 2]], specialTokensFromConfig(golden.config), { maxLength: 3 }),
  );
  assert.deepEqual(out.map((x) => x.filled), want.map((x) => x.filled));
});

test('glm infill: bad input exits 2 with a clear message', () => {
  const cases: [string[], RegExp][] = [
    [['--model', dir], /no prompt given/],
    [['--model', goldenDir('tiny'), 'a [MASK]'], /no tokenizer files; pass --tokenizer/],
    [['--model', goldenDir('tiny'), '--ids', '1,x,3'], /--ids: prompt 0/],
    [['--model', goldenDir('tiny'), '--ids', '1,20,2'], /has no \[MASK\]/],
    [['--model', dir, '--top-p', '2', PROMPT], /--top-p must be a number in \[0, 1\]/],
    [['--model', dir, '--max-length', '500', PROMPT], /maxLength/],
    [['--model', path.join(dir, 'nope'), PROMPT], /no such model folder/],
  ];
  for (const [args, re] of cases) {
    const r = glm(args);
    assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});
