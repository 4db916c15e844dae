/** `glm forward` as a subprocess on golden tiny and small: logits, loss and gradients. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readAll, writeSafetensors } from '../io/safetensors.js';
import { goldenDir, maxAbs, maxAbsDiff, repoRoot, testBackends } from '../testing/helpers.js';

const cli = path.join(repoRoot(), 'dist', 'cli', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-forward-'));

function glm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const be of testBackends()) {
  for (const [size, tol] of [['tiny', 1e-4], ['small', 2e-4]] as const) {
    test(`[${be.name}] glm forward --grads on golden ${size}`, () => {
      const out = path.join(tmp, `${size}-${be.name}.safetensors`);
      const r = glm(['forward', '--model', goldenDir(size), '--input', goldenDir(size, 'forward.safetensors'), '--output', out, '--backend', be.name, ...(size === 'tiny' ? ['--grads'] : [])]);
      assert.equal(r.status, 0, r.stderr);
      const got = readAll(out), want = readAll(goldenDir(size, 'forward.safetensors'));
      const d = maxAbsDiff(got['logits']!.data as Float32Array, want['logits_erf']!.data as Float32Array);
      assert.ok(d <= tol, `logits max diff ${d}`);
      assert.ok(Math.abs((got['loss']!.data as Float32Array)[0]! - (want['loss_erf']!.data as Float32Array)[0]!) <= 1e-5);
      if (size === 'tiny') {
        const grads = Object.keys(want).filter((k) => k.startsWith('grad.'));
        assert.equal(grads.length, 29);
        for (const k of grads) {
          const ref = want[k]!.data as Float32Array;
          assert.ok(maxAbsDiff(got[k]!.data as Float32Array, ref) <= 1e-3 * maxAbs(ref), k);
        }
      }
    });
  }
}

test('glm forward reports a missing mask tensor clearly', () => {
  // An input file without sep or attention_mask: the error names both options.
  const src = readAll(goldenDir('tiny', 'forward.safetensors'));
  const bad = path.join(tmp, 'nomask.safetensors');
  const tensors = Object.fromEntries(['input_ids', 'position_ids'].map((k) => [k, { dtype: 'I64' as const, shape: src[k]!.shape, data: src[k]!.data }]));
  writeSafetensors(bad, tensors);
  const r = glm(['forward', '--model', goldenDir('tiny'), '--input', bad, '--output', path.join(tmp, 'x.safetensors'), '--backend', 'reference']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /sep.*attention_mask/);
});
