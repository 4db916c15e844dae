/**
 * A minimal `torch.save`-compatible writer (zip format, pickle protocol 2) for float32 state
 * dicts: an OrderedDict of tensors rebuilt by torch._utils._rebuild_tensor_v2 from one storage each.
 * Used to make large test checkpoints without PyTorch, and readable by torch.load.
 */
import { writeFileStreamAtomic } from '../util/atomic-write.js';
import { GlmError } from '../util/errors.js';
import { crc32 } from './zip.js';

export interface TorchTensorInput {
  shape: readonly number[];
  data: Float32Array;
}

class PickleWriter {
  private parts: Buffer[] = [];
  op(...bytes: number[]): void {
    this.parts.push(Buffer.from(bytes));
  }
  raw(b: Buffer): void {
    this.parts.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    const n = Buffer.alloc(5);
    n[0] = 0x58; // BINUNICODE
    n.writeUInt32LE(b.length, 1);
    this.parts.push(n, b);
  }
  int(v: number): void {
    if (v >= 0 && v < 256) this.op(0x4b, v); // BININT1
    else if (v >= -(2 ** 31) && v < 2 ** 31) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(v, 1);
      this.parts.push(b);
    } else {
      const b = Buffer.alloc(10);
      b[0] = 0x8a; // LONG1
      b[1] = 8;
      b.writeBigInt64LE(BigInt(v), 2);
      this.parts.push(b);
    }
  }
  global(module: string, name: string): void {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
  }
  tuple(items: number[]): void {
    this.op(0x28); // MARK
    for (const x of items) this.int(x);
    this.op(0x74); // TUPLE
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

interface Entry {
  name: string;
  crc: number;
  size: number;
  offset: number;
}

/** Writes `tensors` as a PyTorch checkpoint at `file` (F32 storages, one per tensor). */
export function writeTorchCheckpoint(file: string, tensors: ReadonlyMap<string, TorchTensorInput> | Record<string, TorchTensorInput>, archive = 'archive'): void {
  const list: [string, TorchTensorInput][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const p = new PickleWriter();
  p.op(0x80, 2); // PROTO 2
  p.global('collections', 'OrderedDict');
  p.op(0x29, 0x52); // EMPTY_TUPLE REDUCE
  p.op(0x28); // MARK
  list.forEach(([name, t], key) => {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new GlmError('E_TORCH_WRITE', `tensor ${name}: shape [${t.shape}] has ${numel} elements, data has ${t.data.length}`);
    const stride: number[] = [];
    let s = 1;
    for (let i = t.shape.length - 1; i >= 0; i--) {
      stride[i] = s;
      s *= t.shape[i]!;
    }
    p.str(name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(0x28); // MARK (args)
    p.op(0x28); // MARK (persistent id)
    p.str('storage');
    p.global('torch', 'FloatStorage');
    p.str(String(key));
    p.str('cpu');
    p.int(numel);
    p.op(0x74, 0x51); // TUPLE BINPERSID
    p.int(0);
    p.tuple([...t.shape]);
    p.tuple(stride);
    p.op(0x89); // NEWFALSE
    p.global('collections', 'OrderedDict');
    p.op(0x29, 0x52); // EMPTY_TUPLE REDUCE
    p.op(0x74, 0x52); // TUPLE REDUCE
  });
  p.op(0x75, 0x2e); // SETITEMS STOP

  writeFileStreamAtomic(file, (out) => {
    const write = (b: Uint8Array): void => out.write(b);
    const entries: Entry[] = [];
    const local = (name: string, size: number, crc: number): Buffer => {
      const n = Buffer.from(name, 'utf8');
      const h = Buffer.alloc(30);
      h.writeUInt32LE(0x04034b50, 0);
      h.writeUInt16LE(20, 4);
      h.writeUInt32LE(crc >>> 0, 14);
      h.writeUInt32LE(size, 18);
      h.writeUInt32LE(size, 22);
      h.writeUInt16LE(n.length, 26);
      return Buffer.concat([h, n]);
    };
    const addWhole = (name: string, data: Buffer): void => {
      const crc = crc32(data);
      entries.push({ name, crc, size: data.length, offset: out.position });
      write(local(name, data.length, crc));
      write(data);
    };
      addWhole(`${archive}/data.pkl`, p.bytes());
      addWhole(`${archive}/byteorder`, Buffer.from('little'));
      list.forEach(([, t], key) => {
        const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        const crc = crc32(bytes);
        const name = `${archive}/data/${key}`;
        entries.push({ name, crc, size: bytes.length, offset: out.position });
        write(local(name, bytes.length, crc));
        for (let o = 0; o < bytes.length; o += 1 << 24) write(bytes.subarray(o, Math.min(bytes.length, o + (1 << 24))));
      });
      addWhole(`${archive}/version`, Buffer.from('3\n'));
      const cdStart = out.position;
      for (const e of entries) {
        const n = Buffer.from(e.name, 'utf8');
        const h = Buffer.alloc(46);
        h.writeUInt32LE(0x02014b50, 0);
        h.writeUInt16LE(20, 4);
        h.writeUInt16LE(20, 6);
        h.writeUInt32LE(e.crc >>> 0, 16);
        h.writeUInt32LE(e.size, 20);
        h.writeUInt32LE(e.size, 24);
        h.writeUInt16LE(n.length, 28);
        h.writeUInt32LE(e.offset, 42);
        write(Buffer.concat([h, n]));
      }
      const eocd = Buffer.alloc(22);
      eocd.writeUInt32LE(0x06054b50, 0);
      eocd.writeUInt16LE(entries.length, 8);
      eocd.writeUInt16LE(entries.length, 10);
      eocd.writeUInt32LE(out.position - cdStart, 12);
      eocd.writeUInt32LE(cdStart, 16);
      write(eocd);
      if (out.position >= 2 ** 32) throw new GlmError('E_TORCH_WRITE', 'checkpoints of 4 GiB or more need ZIP64, which this writer does not produce');
  });
}
