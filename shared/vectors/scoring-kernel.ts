/**
 * Approximate dot products of one query against every row of an int8 matrix, in WebAssembly SIMD
 * (sign-extend 8 bytes to i16x8, i32x4.dot_i16x8_s, two accumulators). Reading a quarter of the bytes of a
 * float32 scan is what keeps exact search over 100k chunks fast: the scan is memory-bound, so the exact
 * float32 scores are only computed for the few rows the approximation cannot rule out (tenant-matrix.ts).
 * The module is a few dozen instructions, assembled here so there is no build step and nothing to download.
 *
 *   scores(matrix, query, out, rows, rowBytes)   // byte offsets into memory
 *     for i in 0..rows: out[i] = Σ_j int8 matrix[i*rowBytes + j] * int16 query[j]   (as i32)
 *
 * rowBytes must be a multiple of ROW_ALIGN; the query holds rowBytes int16 values.
 */
export const ROW_ALIGN = 16;

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Shl: 0x74,
  i32Store: 0x36,
  simd: 0xfd,
} as const;
const simd = {
  load: 0x00,
  load8x8s: 0x01,
  const: 0x0c,
  i32x4ExtractLane: 0x1b,
  i32x4Add: 0xae,
  i32x4DotI16x8s: 0xba,
} as const;
const VOID_BLOCK = 0x40;

function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, "latin1")];
const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
const get = (local: number) => [op.localGet, local];
const set = (local: number) => [op.localSet, local];
const i32 = (value: number) => [op.i32Const, ...uleb(value)]; // small non-negative constants only
const simdOp = (code: number) => [op.simd, ...uleb(code)];
/** v128.load with a 16-byte alignment hint and a constant offset. */
const load = (offset: number) => [...simdOp(simd.load), 4, offset];
/** Eight int8 sign-extended to i16x8, with an 8-byte alignment hint and a constant offset. */
const load8x8 = (offset: number) => [...simdOp(simd.load8x8s), 3, offset];
const zeroVector = [...simdOp(simd.const), ...new Array<number>(16).fill(0)];

// Parameters, then locals.
const MATRIX = 0;
const QUERY = 1;
const OUT = 2;
const ROWS = 3;
const ROW_BYTES = 4;
const ROW = 5;
const COLUMN = 6;
const ROW_START = 7;
const QUERY_AT = 8;
const ACC_A = 9;
const ACC_B = 10;

function kernelBody(): number[] {
  const locals = [2, 4, I32, 2, V128];
  const code = [
    ...get(MATRIX),
    ...set(ROW_START),
    op.block,
    VOID_BLOCK,
    op.loop,
    VOID_BLOCK,
    ...get(ROW),
    ...get(ROWS),
    op.i32GeU,
    op.brIf,
    1,
    ...zeroVector,
    ...set(ACC_A),
    ...zeroVector,
    ...set(ACC_B),
    ...i32(0),
    ...set(COLUMN),
    ...get(QUERY),
    ...set(QUERY_AT),
    op.block,
    VOID_BLOCK,
    op.loop,
    VOID_BLOCK,
    ...get(COLUMN),
    ...get(ROW_BYTES),
    op.i32GeU,
    op.brIf,
    1,
    // acc_a += dot(m[j..j+8], q[j..j+8]); acc_b += dot(m[j+8..j+16], q[j+8..j+16])
    ...get(ACC_A),
    ...get(ROW_START),
    ...get(COLUMN),
    op.i32Add,
    ...load8x8(0),
    ...get(QUERY_AT),
    ...load(0),
    ...simdOp(simd.i32x4DotI16x8s),
    ...simdOp(simd.i32x4Add),
    ...set(ACC_A),
    ...get(ACC_B),
    ...get(ROW_START),
    ...get(COLUMN),
    op.i32Add,
    ...load8x8(8),
    ...get(QUERY_AT),
    ...load(16),
    ...simdOp(simd.i32x4DotI16x8s),
    ...simdOp(simd.i32x4Add),
    ...set(ACC_B),
    ...get(COLUMN),
    ...i32(16),
    op.i32Add,
    ...set(COLUMN),
    ...get(QUERY_AT),
    ...i32(32),
    op.i32Add,
    ...set(QUERY_AT),
    op.br,
    0,
    op.end,
    op.end,
    // out[row] = sum of the lanes of acc_a + acc_b
    ...get(OUT),
    ...get(ROW),
    ...i32(2),
    op.i32Shl,
    op.i32Add,
    ...get(ACC_A),
    ...get(ACC_B),
    ...simdOp(simd.i32x4Add),
    ...set(ACC_A),
    ...get(ACC_A),
    ...simdOp(simd.i32x4ExtractLane),
    0,
    ...[1, 2, 3].flatMap((lane) => [...get(ACC_A), ...simdOp(simd.i32x4ExtractLane), lane, op.i32Add]),
    op.i32Store,
    2,
    0,
    ...get(ROW_START),
    ...get(ROW_BYTES),
    op.i32Add,
    ...set(ROW_START),
    ...get(ROW),
    ...i32(1),
    op.i32Add,
    ...set(ROW),
    op.br,
    0,
    op.end,
    op.end,
    op.end,
  ];
  return [...locals, ...code];
}

function assemble(): Uint8Array {
  const body = kernelBody();
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]),
    ...section(2, [1, ...name("env"), ...name("memory"), 0x02, 0x00, 0x01]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name("scores"), 0x00, 0x00]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** The slice of the WebAssembly JS API used here (the ES lib without DOM types does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: object | null = null;

export interface ScoringKernel {
  readonly memory: { readonly buffer: ArrayBuffer };
  scores(matrix: number, query: number, out: number, rows: number, rowBytes: number): void;
}

/** A kernel instance over its own memory of at least `bytes` bytes. */
export function createScoringKernel(bytes: number): ScoringKernel {
  compiled ??= new wasm.Module(assemble());
  const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const instance = new wasm.Instance(compiled, { env: { memory } });
  const scores = instance.exports.scores as ScoringKernel["scores"];
  return { memory, scores };
}
