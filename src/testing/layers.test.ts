// scripts/check-layers.mjs: the real src/ is clean, and the check does fail on each kind of finding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../util/repo-root.js';

const SCRIPT = path.join(repoRoot(), 'scripts', 'check-layers.mjs');

function check(srcDir?: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...(srcDir ? ['--src', srcDir] : [])], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A throwaway src/ tree: { 'model/a.ts': 'source', … }. */
function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-layers-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

test('src/ has no upward import and no import circle', () => {
  const r = check();
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /^layers ok: \d+ modules/);
});

test('an upward import is reported', () => {
  const dir = tree({
    'model/glm.ts': "import { x } from '../io/read.js';\nexport const y = x;\n",
    'io/read.ts': 'export const x = 1;\n',
  });
  const r = check(dir);
  assert.equal(r.status, 1);
  assert.match(r.out, /model\/glm\.ts: upward import of io\/read\.ts/);
});

test('an import circle is reported, type-only imports and re-exports included', () => {
  const dir = tree({
    'tasks/types.ts': "import type { Pvp } from './pattern.js';\nexport interface T { p: Pvp }\n",
    'tasks/pattern.ts': "export type { T } from './types.js';\nexport interface Pvp { id: string }\n",
  });
  const r = check(dir);
  assert.equal(r.status, 1);
  assert.match(r.out, /import circle: tasks\/(types|pattern)\.ts -> tasks\/(pattern|types)\.ts -> tasks\/(types|pattern)\.ts/);
});

test('production code may not import src/testing; tests may import any layer; imports in comments do not count', () => {
  const bad = tree({
    'util/a.ts': "import { h } from '../testing/h.js';\nexport const a = h;\n",
    'testing/h.ts': 'export const h = 1;\n',
  });
  assert.match(check(bad).out, /util\/a\.ts: upward import of testing\/h\.ts/);
  const ok = tree({
    'util/a.ts': "// import { b } from '../io/b.js';\n/* import '../io/b.js' */\nexport const a = 1;\n",
    'util/a.test.ts': "import { b } from '../io/b.js';\nimport { h } from '../testing/h.js';\nvoid b; void h;\n",
    'io/b.ts': "import { a } from '../util/a.js';\nexport const b = a;\n",
    'testing/h.ts': "export const h = 1;\n",
  });
  const r = check(ok);
  assert.equal(r.status, 0, r.out);
});

test('a folder outside the layering, or an import of a missing module, is reported', () => {
  const r = check(tree({ 'gpu/k.ts': "import { z } from '../util/none.js';\nexport const k = z;\n" }));
  assert.equal(r.status, 1);
  assert.match(r.out, /folder gpu\/ has no place in the layering/);
  assert.match(r.out, /imports util\/none\.ts, which does not exist/);
});
