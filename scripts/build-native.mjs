#!/usr/bin/env node
/**
 * Builds the native addon (build/Release/glm_native.node) with node-gyp.
 *
 * Run by `npm install` (skips the build when the addon is newer than every native source) and
 * by `npm run build:native` (--force: always rebuild). Never fails the installation: if the
 * build cannot run or fails (no compiler, no node headers), it prints one warning
 * line saying the reference backend will be used, keeps the full log in
 * build/glm-native-build.log, and exits 0.
 *
 * Options: --force (rebuild), --verbose (stream the compiler output).
 * Environment: GLM_SKIP_NATIVE_BUILD=1 skips the build entirely. GLM_OPENBLAS=1 also links the
 * system OpenBLAS (libopenblas-dev) as the optional sgemm path GLM_GEMM=openblas, for
 * comparisons; the default build uses only our own sgemm (native/sgemm*.cc) and needs nothing
 * but the C++ compiler, even where OpenBLAS is installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const force = args.has('--force');
const verbose = args.has('--verbose');
const addon = join(root, 'build', 'Release', 'glm_native.node');
const withOpenblas = process.env.GLM_OPENBLAS === '1';
// Which variant the last build was (an OpenBLAS build is not "up to date" for a default one).
const variantFile = join(root, 'build', 'glm-native-variant.txt');
const variant = withOpenblas ? 'openblas' : 'own';
const logFile = join(root, 'build', 'glm-native-build.log');

function warn(reason) {
  process.stderr.write(`glm-ts: warning: native backend not built (${reason}); the slower reference backend will be used\n`);
  process.exit(0);
}

if (process.env.GLM_SKIP_NATIVE_BUILD === '1') {
  process.stderr.write('glm-ts: GLM_SKIP_NATIVE_BUILD=1, not building the native backend\n');
  process.exit(0);
}

// ---- up to date? ----
function sources() {
  const list = [join(root, 'binding.gyp')];
  const dir = join(root, 'native');
  if (existsSync(dir)) for (const f of readdirSync(dir)) if (/\.(cc|cpp|c|h|hpp)$/.test(f)) list.push(join(dir, f));
  return list.filter((f) => existsSync(f));
}

function builtVariant() {
  try {
    return readFileSync(variantFile, 'utf8').trim();
  } catch {
    return 'own';
  }
}

if (!force && existsSync(addon) && builtVariant() === variant) {
  const built = statSync(addon).mtimeMs;
  if (sources().every((f) => statSync(f).mtimeMs <= built)) {
    if (verbose) process.stderr.write('glm-ts: native addon is up to date\n');
    process.exit(0);
  }
}

if (!existsSync(join(root, 'binding.gyp'))) warn('binding.gyp is missing');

// ---- find node-gyp ----
function isFile(p) {
  try {
    return !!p && statSync(p).isFile();
  } catch {
    return false;
  }
}

function findNodeGyp() {
  const candidates = [];
  // npm sets this for lifecycle scripts (npm install / npm run).
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  // A node-gyp installed in the project or globally resolvable.
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not installed locally */
  }
  // The copy bundled with npm: next to the npm executable, or under node's prefix.
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const npm = join(dir, 'npm');
    if (!isFile(npm)) continue;
    try {
      const real = realpathSync(npm); // …/lib/node_modules/npm/bin/npm-cli.js
      candidates.push(join(dirname(real), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
    } catch {
      /* dangling link */
    }
  }
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(prefix, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')); // Windows layout
  for (const c of candidates) if (isFile(c)) return { cmd: process.execPath, pre: [c] };
  // Last resort: a node-gyp executable on PATH.
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp');
    if (isFile(p)) return { cmd: p, pre: [] };
  }
  return null;
}

// ---- node headers: prefer the ones installed with this node (offline builds) ----
function findNodeDir() {
  const prefix = dirname(dirname(realpathSync(process.execPath))); // /usr for /usr/bin/node
  const header = join(prefix, 'include', 'node', 'node_api.h');
  if (!existsSync(header)) return null;
  try {
    const v = readFileSync(join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    const major = /#define NODE_MAJOR_VERSION (\d+)/.exec(v)?.[1];
    if (major && major !== process.versions.node.split('.')[0]) return null; // headers of another node
  } catch {
    /* no version header: node_api.h is ABI-stable anyway */
  }
  return prefix;
}

const gyp = findNodeGyp();
if (!gyp) warn('node-gyp not found (it ships with npm)');

const gypArgs = [...gyp.pre, 'rebuild', '--jobs', 'max'];
const nodeDir = findNodeDir();
if (nodeDir) gypArgs.push(`--nodedir=${nodeDir}`);
// node-gyp turns unknown --name=value options into gyp variables (binding.gyp: glm_openblas).
gypArgs.push(`--glm_openblas=${withOpenblas ? 1 : 0}`);

if (verbose || force) process.stderr.write(`glm-ts: building native backend: ${[gyp.cmd, ...gypArgs].join(' ')}\n`);
const res = spawnSync(gyp.cmd, gypArgs, {
  cwd: root,
  encoding: 'utf8',
  stdio: verbose ? 'inherit' : 'pipe',
  maxBuffer: 64 * 1024 * 1024,
});

const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
try {
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, `${[gyp.cmd, ...gypArgs].join(' ')}\n\n${output}`);
} catch {
  /* the log is a convenience */
}

if (res.error || res.status !== 0 || !existsSync(addon)) {
  // Pick the most telling line of the compiler / linker output for the one-line warning.
  const lines = output.split('\n');
  const key =
    lines.find((l) => /fatal error|cannot find -l|No such file/.test(l)) ??
    lines.find((l) => /\berror\b/i.test(l) && !/^gyp (ERR|info)/.test(l)) ??
    (res.error ? res.error.message : `node-gyp exited with status ${res.status}`);
  warn(`${key.trim()}; full log: ${logFile}`);
}

try {
  writeFileSync(variantFile, `${variant}\n`);
} catch {
  /* only used to tell the two variants apart */
}
if (verbose || force) process.stderr.write(`glm-ts: native backend built (${variant === 'openblas' ? 'with OpenBLAS' : 'own sgemm'}): ${addon}\n`);
