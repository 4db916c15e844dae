/**
 * A restricted Python unpickler (protocols 0–5) that never runs code.
 *
 * Pickles are programs: GLOBAL/STACK_GLOBAL name a Python callable and REDUCE/NEWOBJ/BUILD call
 * it, which is how a malicious `.bin` runs code in Python. Here every global is resolved through
 * an allow-list supplied by the caller (for PyTorch checkpoints: tensor rebuilding, storage types,
 * OrderedDict); any other global is refused with a GlmError naming it, before anything could
 * happen, and even allowed globals are plain TypeScript functions that only build data.
 * Opcodes that need Python machinery (extension registry, out-of-band buffers) are refused too.
 */
import { GlmError } from '../util/errors.js';

/** A Python tuple (JS arrays are lists). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A Python dict: a Map (insertion order kept). Keys are compared by JS identity for tuples. */
export type PyDict = Map<PyValue, PyValue>;

/**
 * An object of an allow-listed "inert" class (e.g. argparse.Namespace in Megatron checkpoints):
 * its constructor arguments and BUILD state are recorded, nothing is called.
 */
export class PyInert {
  state: PyValue = null;
  /** Items appended by APPEND(S) (list subclasses). */
  readonly items: PyValue[] = [];
  constructor(readonly className: string, readonly args: PyValue[]) {}
}

export type PyValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PyValue[] | PyTuple | PyDict | Set<PyValue> | PyInert | PyGlobal | { readonly kind: string };

/** An allow-listed global. `call` implements REDUCE/NEWOBJ; `build` implements BUILD on its results. */
export interface PyGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
  call?: (args: PyValue[]) => PyValue;
}

export interface UnpickleOptions {
  /** Resolves `module.name`; returning undefined refuses it. */
  findGlobal: (module: string, name: string) => PyGlobal | undefined;
  /** PERSID / BINPERSID (PyTorch storages). Absent: persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Names the source in errors. */
  file?: string;
}

/** Byte source for the unpickler: a buffer, or a file read on demand (legacy torch files). */
export interface ByteSource {
  /** Reads exactly n bytes at the current position, or throws. */
  read(n: number): Uint8Array;
  /** Reads up to and excluding "\n" (consumed). */
  readLine(): string;
  readonly pos: number;
}

export class BufferSource implements ByteSource {
  pos = 0;
  constructor(private readonly buf: Uint8Array, private readonly file?: string) {}
  read(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) {
      throw new GlmError('E_PICKLE_TRUNCATED', `pickle data ends early (needed ${n} bytes at offset ${this.pos}, have ${this.buf.length - this.pos})`, { path: this.file });
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  readLine(): string {
    const end = this.buf.indexOf(0x0a, this.pos);
    if (end < 0) throw new GlmError('E_PICKLE_TRUNCATED', `pickle data ends inside a text line at offset ${this.pos}`, { path: this.file });
    const s = latin1(this.buf.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
}

const utf8 = new TextDecoder('utf-8');
function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Decodes a little-endian two's-complement integer (LONG1 / LONG4). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Python-literal string of protocol 0 STRING ('…' or "…" with escapes). */
function parseQuoted(s: string, fail: (m: string) => never): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q) fail(`bad STRING literal ${JSON.stringify(s.slice(0, 40))}`);
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt0])/g, (_, e: string) =>
    e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t', '0': '\0' } as Record<string, string>)[e] ?? e,
  );
}

/** Runs the pickle program in `src` and returns the value it STOPs with. */
export function unpickle(src: ByteSource, opts: UnpickleOptions): PyValue {
  const stack: StackItem[] = [];
  const memo = new Map<number, PyValue>();
  const file = opts.file;
  const fail = (code: string, m: string): never => {
    throw new GlmError(code, m, { path: file });
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('E_PICKLE_CORRUPT', 'stack underflow');
    const v = stack.pop()!;
    if (v === MARK) fail('E_PICKLE_CORRUPT', 'unexpected MARK on the stack');
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('E_PICKLE_CORRUPT', 'stack underflow');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    let i = stack.length - 1;
    while (i >= 0 && stack[i] !== MARK) i--;
    if (i < 0) fail('E_PICKLE_CORRUPT', 'MARK not found');
    const items = stack.splice(i + 1) as PyValue[];
    stack.pop();
    return items;
  };
  const global = (module: string, name: string): PyGlobal => {
    const g = opts.findGlobal(module, name);
    if (!g) {
      throw new GlmError('E_PICKLE_GLOBAL', `refusing to load: the pickle references the Python global ${module}.${name}, which is not a tensor or a plain container (a pickle can run arbitrary code through such globals; glm-ts only rebuilds tensors)`, {
        path: file,
        details: { global: `${module}.${name}` },
      });
    }
    return g;
  };
  const call = (fn: PyValue, args: PyValue[], how: string): PyValue => {
    const g = fn as PyGlobal;
    if (!g || typeof g !== 'object' || (g as { kind?: string }).kind !== 'global' || !g.call) {
      return fail('E_PICKLE_CALL', `refusing ${how}: the callable is not an allow-listed global`);
    }
    return g.call(args);
  };
  const setItems = (d: PyValue, items: PyValue[]): void => {
    if (!(d instanceof Map)) fail('E_PICKLE_CORRUPT', 'SETITEM(S) on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) (d as PyDict).set(items[i]!, items[i + 1]!);
  };
  const append = (l: PyValue, items: PyValue[]): void => {
    if (Array.isArray(l)) l.push(...items);
    else if (l instanceof PyInert) l.items.push(...items);
    else fail('E_PICKLE_CORRUPT', 'APPEND(S) on a non-list');
  };
  const toStr = (b: Uint8Array): string => utf8.decode(b);

  for (;;) {
    const op = src.read(1)[0]!;
    switch (op) {
      case 0x80: // PROTO
        if (src.read(1)[0]! > 5) fail('E_PICKLE_UNSUPPORTED', 'pickle protocol above 5');
        break;
      case 0x95: // FRAME
        src.read(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        if (stack[stack.length - 1] === MARK) stack.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x49: { // INT (text; 00/01 are bools)
        const s = src.readLine();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else {
          const v = BigInt(s);
          stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        }
        break;
      }
      case 0x4c: { // LONG (text, trailing L)
        const v = BigInt(src.readLine().replace(/L$/, ''));
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x4a: // BININT
        stack.push(dv(src.read(4)).getInt32(0, true));
        break;
      case 0x4b: // BININT1
        stack.push(src.read(1)[0]!);
        break;
      case 0x4d: // BININT2
        stack.push(dv(src.read(2)).getUint16(0, true));
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(src.read(src.read(1)[0]!)));
        break;
      case 0x8b: { // LONG4
        const n = dv(src.read(4)).getInt32(0, true);
        if (n < 0) fail('E_PICKLE_CORRUPT', 'negative LONG4 length');
        stack.push(decodeLong(src.read(n)));
        break;
      }
      case 0x46: // FLOAT (text)
        stack.push(parseFloat(src.readLine()));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        stack.push(dv(src.read(8)).getFloat64(0, false));
        break;
      case 0x53: // STRING (protocol 0, quoted)
        stack.push(parseQuoted(src.readLine(), (m) => fail('E_PICKLE_CORRUPT', m)));
        break;
      case 0x54: { // BINSTRING
        const n = dv(src.read(4)).getInt32(0, true);
        if (n < 0) fail('E_PICKLE_CORRUPT', 'negative BINSTRING length');
        stack.push(latin1(src.read(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(src.read(src.read(1)[0]!)));
        break;
      case 0x56: // UNICODE (raw-unicode-escape line)
        stack.push(src.readLine().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a?: string, b?: string) => String.fromCodePoint(parseInt(a ?? b!, 16))));
        break;
      case 0x58: // BINUNICODE
        stack.push(toStr(src.read(dv(src.read(4)).getUint32(0, true))));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(toStr(src.read(src.read(1)[0]!)));
        break;
      case 0x8d: { // BINUNICODE8
        const n = Number(dv(src.read(8)).getBigUint64(0, true));
        stack.push(toStr(src.read(n)));
        break;
      }
      case 0x42: // BINBYTES
        stack.push(Uint8Array.from(src.read(dv(src.read(4)).getUint32(0, true))));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Uint8Array.from(src.read(src.read(1)[0]!)));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(Uint8Array.from(src.read(Number(dv(src.read(8)).getBigUint64(0, true)))));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: { // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop(), a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop(), a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const items = popMark();
        const d: PyDict = new Map();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail('E_PICKLE_CORRUPT', 'ADDITEMS on a non-set');
        for (const x of items) (s as Set<PyValue>).add(x);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x70: // PUT
        memo.set(parseInt(src.readLine(), 10), top());
        break;
      case 0x71: // BINPUT
        memo.set(src.read(1)[0]!, top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(dv(src.read(4)).getUint32(0, true), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const k = op === 0x67 ? parseInt(src.readLine(), 10) : op === 0x68 ? src.read(1)[0]! : dv(src.read(4)).getUint32(0, true);
        if (!memo.has(k)) fail('E_PICKLE_CORRUPT', `memo key ${k} not defined`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x63: { // GLOBAL
        const module = src.readLine(), name = src.readLine();
        stack.push(global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('E_PICKLE_CORRUPT', 'STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        if (!(args instanceof PyTuple)) fail('E_PICKLE_CORRUPT', 'REDUCE arguments are not a tuple');
        stack.push(call(fn, (args as PyTuple).items, 'REDUCE'));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop(), cls = pop();
        stack.push(call(cls, args instanceof PyTuple ? args.items : [], 'NEWOBJ'));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        pop(); // kwargs
        const args = pop(), cls = pop();
        stack.push(call(cls, args instanceof PyTuple ? args.items : [], 'NEWOBJ_EX'));
        break;
      }
      case 0x69: { // INST
        const module = src.readLine(), name = src.readLine();
        const g = global(module, name);
        stack.push(call(g, popMark(), 'INST'));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        const cls = items.shift();
        stack.push(call(cls ?? null, items, 'OBJ'));
        break;
      }
      case 0x62: { // BUILD: data only (never __setstate__)
        const state = pop();
        const obj = top();
        if (obj instanceof PyInert) obj.state = state;
        else if (obj instanceof Map || (obj !== null && typeof obj === 'object' && 'kind' in obj)) {
          // OrderedDict attributes (state_dict._metadata) and tensor extras: kept aside, unused.
          (obj as { __state__?: PyValue }).__state__ = state;
        } else fail('E_PICKLE_CORRUPT', 'BUILD on a value that has no state');
        break;
      }
      case 0x50: // PERSID
      case 0x51: { // BINPERSID
        const pid = op === 0x50 ? src.readLine() : pop();
        if (!opts.persistentLoad) fail('E_PICKLE_UNSUPPORTED', 'persistent ids are not expected here');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x82: case 0x83: case 0x84: // EXT1/2/4
        fail('E_PICKLE_UNSUPPORTED', 'the pickle uses the copyreg extension registry (EXT opcodes), which is refused');
        break;
      case 0x97: case 0x98: // NEXT_BUFFER, READONLY_BUFFER
        fail('E_PICKLE_UNSUPPORTED', 'out-of-band pickle buffers are not supported');
        break;
      default:
        fail('E_PICKLE_CORRUPT', `unknown pickle opcode 0x${op.toString(16)} at offset ${src.pos - 1}`);
    }
  }
}

/** Helper for allow-lists: a global whose call builds a value from the arguments. */
export function pyFunction(module: string, name: string, call?: (args: PyValue[]) => PyValue): PyGlobal {
  return call ? { kind: 'global', module, name, call } : { kind: 'global', module, name };
}
