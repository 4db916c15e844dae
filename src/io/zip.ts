/**
 * Minimal read-only ZIP reader for PyTorch checkpoints (`torch.save` writes a zip of stored,
 * uncompressed entries: `<archive>/data.pkl`, `<archive>/data/<key>`, …). Only the central
 * directory is read up front; entry data is read on demand with positioned reads, so a
 * multi-gigabyte checkpoint is never held in memory. ZIP64 is supported; deflated entries are
 * inflated whole (torch never writes them for tensor data). CRC-32 is checked on every read.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { GlmError } from '../util/errors.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the local file header. */
  localHeaderOffset: number;
}

let CRC_TABLE: Int32Array | undefined;
/** CRC-32 (zlib's), continuing from `prev`; zlib.crc32 where Node has it (20.15+). */
export function crc32(data: Uint8Array, prev = 0): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (native) return native(data, prev);
  if (!CRC_TABLE) {
    CRC_TABLE = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c;
    }
  }
  let c = ~prev;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  private fd: number | undefined;
  private readonly dataOffsets = new Map<string, number>();
  /** One reusable read buffer, so streaming a large checkpoint leaves no garbage behind. */
  private scratch: Buffer | undefined;

  private constructor(readonly path: string, fd: number, readonly fileSize: number) {
    this.fd = fd;
  }

  /** True when the file starts with a ZIP local-file-header signature ("PK\x03\x04"). */
  static isZip(file: string): boolean {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(4);
      return fs.readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32LE(0) === LOCAL_SIG;
    } finally {
      fs.closeSync(fd);
    }
  }

  static open(file: string): ZipReader {
    const fd = fs.openSync(file, 'r');
    try {
      const z = new ZipReader(file, fd, fs.fstatSync(fd).size);
      z.readCentralDirectory();
      return z;
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  private fail(code: string, message: string, details?: Record<string, unknown>): never {
    throw new GlmError(code, message, { path: this.path, ...(details ? { details } : {}) });
  }

  private read(pos: number, len: number): Buffer {
    const b = Buffer.alloc(len);
    let done = 0;
    while (done < len) {
      const n = fs.readSync(this.fd!, b, done, len - done, pos + done);
      if (n === 0) this.fail('E_ZIP_TRUNCATED', `unexpected end of file at offset ${pos + done} (needed ${len - done} more bytes): the checkpoint is truncated`);
      done += n;
    }
    return b;
  }

  private readCentralDirectory(): void {
    const size = this.fileSize;
    const tailLen = Math.min(size, 65535 + 22);
    if (size < 22) this.fail('E_ZIP_TRUNCATED', `file is ${size} bytes, too small to be a zip archive`);
    const tail = this.read(size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) this.fail('E_ZIP_TRUNCATED', 'no end-of-central-directory record: the zip archive is truncated or corrupt');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    const eocdAbs = size - tailLen + eocd;
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      if (eocdAbs < 20) this.fail('E_ZIP_CORRUPT', 'ZIP64 locator missing');
      const loc = this.read(eocdAbs - 20, 20);
      if (loc.readUInt32LE(0) !== ZIP64_LOCATOR_SIG) this.fail('E_ZIP_CORRUPT', 'ZIP64 end-of-central-directory locator missing');
      const z64 = Number(loc.readBigUInt64LE(8));
      const rec = this.read(z64, 56);
      if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) this.fail('E_ZIP_CORRUPT', 'ZIP64 end-of-central-directory record missing');
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > size) this.fail('E_ZIP_TRUNCATED', `central directory [${cdOffset}, ${cdOffset + cdSize}) lies beyond the end of the ${size}-byte file`);
    const cd = this.read(cdOffset, cdSize);
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDIR_SIG) this.fail('E_ZIP_CORRUPT', `central directory entry ${i} is corrupt`);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let usize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28), extraLen = cd.readUInt16LE(p + 30), commentLen = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      // ZIP64 extra field (id 1): the 64-bit values, in order, for each 32-bit field that is all ones.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = cd.readUInt16LE(e), len = cd.readUInt16LE(e + 2);
        if (id === 1) {
          let q = e + 4;
          if (usize === 0xffffffff) (usize = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (compressedSize === 0xffffffff) (compressedSize = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (localHeaderOffset === 0xffffffff) (localHeaderOffset = Number(cd.readBigUInt64LE(q))), (q += 8);
        }
        e += 4 + len;
      }
      if (method !== 0 && method !== 8) this.fail('E_ZIP_UNSUPPORTED', `entry ${name} uses compression method ${method} (only stored and deflate are supported)`);
      this.entries.set(name, { name, method, compressedSize, size: usize, crc32: crc, localHeaderOffset });
      p = eEnd + commentLen;
    }
  }

  /** Absolute offset of an entry's data (after its local header). */
  dataOffset(entry: ZipEntry): number {
    const cached = this.dataOffsets.get(entry.name);
    if (cached !== undefined) return cached;
    const h = this.read(entry.localHeaderOffset, 30);
    if (h.readUInt32LE(0) !== LOCAL_SIG) this.fail('E_ZIP_CORRUPT', `local header of ${entry.name} is corrupt`);
    const off = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (off + entry.compressedSize > this.fileSize) {
      this.fail('E_ZIP_TRUNCATED', `entry ${entry.name} needs bytes up to ${off + entry.compressedSize} but the file is ${this.fileSize} bytes: the checkpoint is truncated`);
    }
    this.dataOffsets.set(entry.name, off);
    return off;
  }

  get(name: string): ZipEntry {
    const e = this.entries.get(name);
    if (!e) this.fail('E_ZIP_MISSING_ENTRY', `no entry ${name} in the archive`);
    return e;
  }

  /** A whole (small) entry, inflated if needed, CRC-checked. */
  readEntry(name: string): Buffer {
    const e = this.get(name);
    const raw = this.read(this.dataOffset(e), e.compressedSize);
    const data = e.method === 8 ? zlib.inflateRawSync(raw) : raw;
    if (data.length !== e.size) this.fail('E_ZIP_CORRUPT', `entry ${name} is ${data.length} bytes, the directory says ${e.size}`);
    this.checkCrc(e, crc32(data));
    return data;
  }

  /**
   * Streams a stored entry's bytes [start, end) into cb in chunks of at most `chunk` bytes. When
   * the whole entry is streamed its CRC-32 is checked.
   */
  streamEntry(name: string, cb: (chunk: Buffer, offset: number) => void, range?: { start: number; end: number }, chunk = 1 << 20): void {
    const e = this.get(name);
    if (e.method !== 0) {
      const all = this.readEntry(name);
      const s = range?.start ?? 0, en = range?.end ?? all.length;
      for (let o = s; o < en; o += chunk) cb(all.subarray(o, Math.min(en, o + chunk)), o);
      return;
    }
    const base = this.dataOffset(e);
    const start = range?.start ?? 0, end = range?.end ?? e.size;
    if (start < 0 || end > e.size || start > end) this.fail('E_ZIP_CORRUPT', `read [${start}, ${end}) is outside entry ${name} (${e.size} bytes)`);
    const whole = start === 0 && end === e.size;
    let crc = 0;
    if (!this.scratch || this.scratch.length < Math.min(chunk, end - start)) this.scratch = Buffer.alloc(Math.max(8, Math.min(chunk, end - start)));
    const buf = this.scratch;
    for (let o = start; o < end; ) {
      const n = Math.min(buf.length, end - o);
      const view = buf.subarray(0, n);
      let done = 0;
      while (done < n) {
        const r = fs.readSync(this.fd!, view, done, n - done, base + o + done);
        if (r === 0) this.fail('E_ZIP_TRUNCATED', `entry ${name} ends early at byte ${o + done} of ${e.size}: the checkpoint is truncated`);
        done += r;
      }
      if (whole) crc = crc32(view, crc);
      cb(view, o);
      o += n;
    }
    if (whole) this.checkCrc(e, crc);
  }

  private checkCrc(e: ZipEntry, got: number): void {
    if (got >>> 0 !== e.crc32 >>> 0) this.fail('E_ZIP_CRC', `entry ${e.name} fails its CRC-32 check (stored ${e.crc32.toString(16)}, computed ${(got >>> 0).toString(16)}): the checkpoint is corrupt`);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
