/**
 * A minimal Parquet reader, written for the question set so that answers over flights-3m.parquet (which has no
 * CSV/JSON twin in vega-datasets) can be computed without DuckDB. It reads flat schemas only (REQUIRED or
 * OPTIONAL columns, no nesting): the Thrift compact-protocol footer, data pages v1 and v2, dictionary pages,
 * PLAIN and RLE_DICTIONARY encodings, RLE/bit-packed definition levels, physical types INT32, INT64, DOUBLE,
 * FLOAT, BOOLEAN and BYTE_ARRAY (text as UTF-8). INT64 values become JS numbers (exact below 2^53: timestamps
 * in microseconds are). Pages may be UNCOMPRESSED or ZSTD; ZSTD goes through node:zlib when this Node has it
 * (≥ 22.15) and otherwise through the `zstd` command (Debian package zstd), in one call for all pages.
 * `zstdAvailable()` says whether either exists.
 *
 *   readParquetColumns(path, ['delay', 'origin']) → { delay: number[], origin: string[] } (null for missing)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';

// ---- Thrift compact protocol (just enough for FileMetaData and PageHeader) --------------------------------------

class Compact {
  constructor(buf, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }
  byte() {
    return this.buf[this.pos++];
  }
  varint() {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  }
  zigzag() {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
  binary() {
    const len = this.varint();
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  value(type) {
    switch (type) {
      case 1:
        return true;
      case 2:
        return false;
      case 3:
        return this.byte();
      case 4:
      case 5:
      case 6:
        return this.zigzag();
      case 7: {
        const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readDoubleLE(0);
        this.pos += 8;
        return v;
      }
      case 8:
        return this.binary();
      case 9:
      case 10: {
        const h = this.byte();
        const size = h >> 4 === 15 ? this.varint() : h >> 4;
        const et = h & 0x0f;
        const out = [];
        for (let i = 0; i < size; i++) out.push(et === 1 || et === 2 ? this.byte() === 1 : this.value(et));
        return out;
      }
      case 11: {
        const size = this.varint();
        const kv = size > 0 ? this.byte() : 0;
        const out = [];
        for (let i = 0; i < size; i++) out.push([this.value(kv >> 4), this.value(kv & 0x0f)]);
        return out;
      }
      case 12:
        return this.struct();
      default:
        throw new Error(`parquet-lite: unknown thrift type ${type}`);
    }
  }
  /** A struct as { fieldId: value }. */
  struct() {
    const out = {};
    let last = 0;
    for (;;) {
      const h = this.byte();
      if (h === 0) return out;
      const delta = h >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      out[id] = this.value(h & 0x0f);
      last = id;
    }
  }
}

const utf8 = new TextDecoder();

// ---- encodings -----------------------------------------------------------------------------------------------------

/** RLE / bit-packed hybrid: `count` values of `bitWidth` bits from buf[pos…]. */
function rleHybrid(buf, pos, bitWidth, count) {
  const out = new Int32Array(count);
  const r = new Compact(buf, pos);
  const byteWidth = Math.ceil(bitWidth / 8);
  let n = 0;
  while (n < count) {
    const header = r.varint();
    if (header & 1) {
      const values = (header >> 1) * 8;
      let bitPos = r.pos * 8;
      if (bitWidth <= 24) {
        // A 32-bit little-endian window always holds shift (≤ 7) + bitWidth (≤ 24) bits.
        const mask = (1 << bitWidth) - 1;
        for (let i = 0; i < values && n < count; i++, bitPos += bitWidth) {
          const at = bitPos >> 3;
          const w = buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24);
          out[n++] = (w >>> (bitPos & 7)) & mask;
        }
      } else {
        for (let i = 0; i < values; i++) {
          let v = 0;
          for (let b = 0; b < bitWidth; b++, bitPos++) {
            if (buf[bitPos >> 3] & (1 << (bitPos & 7))) v |= 1 << b;
          }
          if (n < count) out[n++] = v;
        }
      }
      r.pos += (values * bitWidth) / 8;
    } else {
      const run = header >> 1;
      let v = 0;
      for (let b = 0; b < byteWidth; b++) v |= r.byte() << (8 * b);
      for (let i = 0; i < run && n < count; i++) out[n++] = v;
    }
  }
  return out;
}

/** `count` PLAIN values of a physical type. */
function plain(buf, pos, type, count) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    switch (type) {
      case 0: // BOOLEAN, bit-packed
        out[i] = (buf[pos + (i >> 3)] & (1 << (i & 7))) !== 0;
        break;
      case 1:
        out[i] = view.getInt32(pos, true);
        pos += 4;
        break;
      case 2:
        out[i] = view.getUint32(pos, true) + view.getInt32(pos + 4, true) * 2 ** 32;
        pos += 8;
        break;
      case 4:
        out[i] = view.getFloat32(pos, true);
        pos += 4;
        break;
      case 5:
        out[i] = view.getFloat64(pos, true);
        pos += 8;
        break;
      case 6: {
        const len = view.getUint32(pos, true);
        out[i] = utf8.decode(buf.subarray(pos + 4, pos + 4 + len));
        pos += 4 + len;
        break;
      }
      default:
        throw new Error(`parquet-lite: physical type ${type} not supported`);
    }
  }
  return out;
}

// ---- decompression -------------------------------------------------------------------------------------------------

/** Whether ZSTD pages can be read here (node:zlib ≥ 22.15, or the zstd command). */
export function zstdAvailable() {
  if (typeof zlib.zstdDecompressSync === 'function') return true;
  const r = spawnSync('zstd', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** Decompress several ZSTD frames at once; returns one buffer per frame, split by the known sizes. */
function unzstdAll(frames, sizes) {
  if (frames.length === 0) return [];
  let joined;
  if (typeof zlib.zstdDecompressSync === 'function') {
    joined = Buffer.concat(frames.map((f) => zlib.zstdDecompressSync(f)));
  } else {
    const total = sizes.reduce((a, b) => a + b, 0);
    const r = spawnSync('zstd', ['-d', '-c', '-q'], {
      input: Buffer.concat(frames),
      maxBuffer: total + 1024,
    });
    if (r.status !== 0) throw new Error(`parquet-lite: zstd failed: ${r.stderr?.toString() ?? r.error}`);
    joined = r.stdout;
  }
  const out = [];
  let at = 0;
  for (const size of sizes) {
    out.push(joined.subarray(at, at + size));
    at += size;
  }
  if (at !== joined.length)
    throw new Error('parquet-lite: decompressed size does not match the page headers');
  return out;
}

// ---- reader --------------------------------------------------------------------------------------------------------

/** The columns of a flat Parquet file (all, or the ones named), each as an array with null for missing. */
export function readParquetColumns(path, names) {
  const file = readFileSync(path);
  if (file.subarray(0, 4).toString() !== 'PAR1' || file.subarray(-4).toString() !== 'PAR1') {
    throw new Error(`parquet-lite: ${path} is not a Parquet file`);
  }
  const footerLen = file.readUInt32LE(file.length - 8);
  const meta = new Compact(file, file.length - 8 - footerLen).struct();
  const schema = meta[2].slice(1); // [0] is the root
  if (schema.some((s) => s[5] !== undefined))
    throw new Error('parquet-lite: nested schemas are not supported');
  const fields = schema.map((s) => ({ name: utf8.decode(s[4]), type: s[1], maxDef: s[3] === 1 ? 1 : 0 }));
  if (schema.some((s) => s[3] === 2)) throw new Error('parquet-lite: repeated fields are not supported');
  const wanted = fields.filter((f) => names === undefined || names.includes(f.name));
  const numRows = meta[3];

  // Walk every page header of the wanted column chunks; collect compressed payloads to decompress in one go.
  const pages = [];
  for (const rowGroup of meta[4]) {
    for (const chunk of rowGroup[1]) {
      const cm = chunk[3];
      const name = utf8.decode(cm[3][0]);
      const field = wanted.find((f) => f.name === name);
      if (!field) continue;
      const codec = cm[4];
      if (codec !== 0 && codec !== 6) throw new Error(`parquet-lite: codec ${codec} not supported`);
      let pos = cm[11] !== undefined && cm[11] > 0 ? Math.min(cm[11], cm[9]) : cm[9];
      const end = pos + cm[7];
      while (pos < end) {
        const r = new Compact(file, pos);
        const header = r.struct();
        const body = file.subarray(r.pos, r.pos + header[3]);
        pos = r.pos + header[3];
        const page = { field, type: header[1], header, codec, body };
        if (header[1] === 3) {
          const v2 = header[8];
          const levels = v2[5] + (v2[6] ?? 0);
          page.levels = body.subarray(0, levels);
          page.compressed = body.subarray(levels);
          page.size = header[2] - levels;
          page.isCompressed = v2[7] !== false;
        } else {
          page.levels = body.subarray(0, 0);
          page.compressed = body;
          page.size = header[2];
          page.isCompressed = true;
        }
        pages.push(page);
      }
    }
  }
  const zstdPages = pages.filter((p) => p.codec === 6 && p.isCompressed && p.compressed.length > 0);
  const plainData = unzstdAll(
    zstdPages.map((p) => p.compressed),
    zstdPages.map((p) => p.size),
  );
  zstdPages.forEach((p, i) => {
    p.data = plainData[i];
  });
  for (const p of pages) p.data ??= p.compressed;

  const columns = Object.fromEntries(wanted.map((f) => [f.name, []]));
  let dictionary = null;
  let dictionaryOf = null;
  for (const p of pages) {
    const { field } = p;
    const out = columns[field.name];
    if (p.type === 2) {
      dictionary = plain(p.data, 0, field.type, p.header[7][1]);
      dictionaryOf = field;
      continue;
    }
    if (p.type !== 0 && p.type !== 3) continue; // index pages
    const v1 = p.type === 0;
    const numValues = v1 ? p.header[5][1] : p.header[8][1];
    const encoding = v1 ? p.header[5][2] : p.header[8][4];
    let defs = null;
    let pos = 0;
    if (field.maxDef > 0) {
      if (v1) {
        const len = p.data.readUInt32LE(0);
        defs = rleHybrid(p.data, 4, 1, numValues);
        pos = 4 + len;
      } else {
        defs = rleHybrid(p.levels, 0, 1, numValues);
      }
    }
    const present = defs ? defs.reduce((a, d) => a + d, 0) : numValues;
    let values;
    if (encoding === 0) {
      values = plain(p.data, pos, field.type, present);
    } else if (encoding === 2 || encoding === 8) {
      if (dictionaryOf !== field) throw new Error('parquet-lite: dictionary page missing');
      const bitWidth = p.data[pos];
      const idx = rleHybrid(p.data, pos + 1, bitWidth, present);
      values = Array.from(idx, (i) => dictionary[i]);
    } else {
      throw new Error(`parquet-lite: encoding ${encoding} not supported`);
    }
    if (!defs) {
      for (const v of values) out.push(v);
    } else {
      let k = 0;
      for (let i = 0; i < numValues; i++) out.push(defs[i] ? values[k++] : null);
    }
  }
  for (const f of wanted) {
    if (columns[f.name].length !== numRows) {
      throw new Error(`parquet-lite: ${f.name} has ${columns[f.name].length} values, expected ${numRows}`);
    }
  }
  return columns;
}
