#!/usr/bin/env node
// Checks the import graph of src/: no module imports from a folder above its own in the layering,
// and no import circle (type-only imports included: a type circle is still a circle).
//
//   node scripts/check-layers.mjs [--src DIR] [--json]
//
// Layers, top to bottom (a module may import from its own layer or any layer below it):
//   testing (test support: only tests and testing/ itself may import it)
//   cli, index.ts → finetune, bench → train → data, eval, generate, convert → tasks → tokenizer
//   → io → model → tensor → backend → util
// Test files (*.test.ts) are consumers outside the graph: nothing imports them, so they may import
// any layer (integration tests load checkpoints from io/ to test model/), but they are still part of
// the circle check. Exits 1 with one line per finding, 0 with a summary when the graph is clean.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAYERS = [
  ['testing'],
  ['cli', 'index.ts'],
  ['serve'],
  ['finetune', 'bench'],
  ['train'],
  ['data', 'eval', 'generate', 'convert'],
  ['tasks'],
  ['tokenizer', 'hub'],
  ['io'],
  ['model'],
  ['tensor'],
  ['backend'],
  ['util'],
];

const levelOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function listTs(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listTs(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// Static imports and re-exports (`import x from`, `import type`, `export * from`, side-effect
// `import '…'`) that start a line, and dynamic `import('…')` with a literal specifier. Starting a
// line keeps out commented-out imports and import-like text inside strings.
const SPEC = /^[ \t]*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Relative imports of `file` (absolute), resolved to absolute .ts paths. */
export function importsOf(file, text = readFileSync(file, 'utf8')) {
  const out = [];
  for (const m of text.matchAll(SPEC)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    out.push(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

/** The layer key of a path relative to src/: its first folder, or the file name at the top. */
const keyOf = (rel) => rel.split(sep)[0];
const isTest = (rel) => rel.endsWith('.test.ts');

export function checkLayers(srcDir) {
  const files = listTs(srcDir);
  const known = new Set(files);
  const graph = new Map();
  const problems = [];
  for (const f of files) {
    const rel = relative(srcDir, f);
    const from = keyOf(rel);
    if (!levelOf.has(from)) problems.push(`${rel}: folder ${from}/ has no place in the layering (add it to LAYERS in scripts/check-layers.mjs)`);
    const deps = [];
    for (const target of importsOf(f)) {
      const trel = relative(srcDir, target);
      if (trel.startsWith('..')) { problems.push(`${rel}: imports ${trel}, outside src/`); continue; }
      if (!known.has(target)) { problems.push(`${rel}: imports ${trel}, which does not exist`); continue; }
      deps.push(target);
      const to = keyOf(trel);
      if (isTest(rel) || !levelOf.has(from) || !levelOf.has(to)) continue;
      if (levelOf.get(to) < levelOf.get(from)) problems.push(`${rel}: upward import of ${trel} (${from}/ is below ${to}/)`);
    }
    graph.set(f, deps);
  }
  for (const cycle of findCycles(graph)) problems.push(`import circle: ${cycle.map((f) => relative(srcDir, f)).join(' -> ')}`);
  return { files: files.length, edges: [...graph.values()].reduce((n, d) => n + d.length, 0), problems };
}

/** One representative circle per strongly connected component of more than one module (or a self-import). */
function findCycles(graph) {
  // Tarjan's algorithm, iterative so deep graphs cannot overflow the stack.
  let index = 0;
  const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], cycles = [];
  for (const root of graph.keys()) {
    if (idx.has(root)) continue;
    const work = [[root, 0]];
    idx.set(root, index); low.set(root, index); index++; stack.push(root); onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1];
      const [v, i] = top;
      const deps = graph.get(v) ?? [];
      if (i < deps.length) {
        top[1]++;
        const w = deps[i];
        if (!idx.has(w)) {
          idx.set(w, index); low.set(w, index); index++; stack.push(w); onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
        continue;
      }
      work.pop();
      if (work.length) { const u = work[work.length - 1][0]; low.set(u, Math.min(low.get(u), low.get(v))); }
      if (low.get(v) !== idx.get(v)) continue;
      const comp = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(pathWithin(graph, new Set(comp), v));
    }
  }
  return cycles;
}

/** A shortest circle through `start` inside one component (breadth-first). */
function pathWithin(graph, comp, start) {
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!comp.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [start, start];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--src');
  const srcDir = at >= 0 ? args[at + 1] : join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const r = checkLayers(normalize(srcDir));
  if (args.includes('--json')) process.stdout.write(JSON.stringify(r) + '\n');
  else if (r.problems.length) for (const p of r.problems) process.stderr.write(p + '\n');
  else process.stdout.write(`layers ok: ${r.files} modules, ${r.edges} relative imports, no upward import, no circle\n`);
  process.exit(r.problems.length ? 1 : 0);
}
