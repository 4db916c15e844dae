/**
 * The native sources keep the kernels plain: files named *_kernels.cc, sgemm*.cc, machine.cc and
 * the kernel headers use no N-API (they take raw pointers and sizes); only the binding files
 * parse JavaScript arguments. Also: nothing in native/ needs a BLAS header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native');
const plainFile = (f: string): boolean =>
  /_kernels\.cc$/.test(f) || /^sgemm.*\.(cc|h)$/.test(f) || ['machine.cc', 'machine.h', 'kernel_common.h', 'plain_kernels.h', 'attention.h', 'quant.h', 'rowops.h'].includes(f);

test('native kernel files use no N-API; bindings include the plain headers', () => {
  const files = fs.readdirSync(nativeDir);
  const plain = files.filter(plainFile);
  assert.ok(plain.length >= 15, `expected the plain kernel files, found ${plain.join(', ')}`);
  for (const f of plain) {
    const src = fs.readFileSync(path.join(nativeDir, f), 'utf8');
    assert.doesNotMatch(src, /node_api\.h|napi_|\bArgs\b|"common\.h"/, `${f} must not use N-API or the argument parser`);
  }
  // Only the optional OpenBLAS path includes cblas.h, and only when built with it.
  for (const f of files.filter((x) => (x.endsWith('.cc') || x.endsWith('.h')) && x !== 'sgemm_openblas.cc')) {
    assert.doesNotMatch(fs.readFileSync(path.join(nativeDir, f), 'utf8'), /cblas\.h/, `${f} includes a BLAS header`);
  }
  assert.match(fs.readFileSync(path.join(nativeDir, 'sgemm_openblas.cc'), 'utf8'), /#ifdef GLM_HAVE_OPENBLAS\n#include <cblas\.h>/);
});
