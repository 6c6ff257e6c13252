import { readVectorInto } from "../embeddings/vector-bytes.ts";
import type { VectorHit } from "./port.ts";
import { createScoringKernel, ROW_ALIGN, type ScoringKernel } from "./scoring-kernel.ts";
import { topK } from "./top-k.ts";

export interface MatrixRow {
  id: string;
  document_id: string;
  payload: Record<string, unknown>;
  vector: Buffer;
}

type PointRow = Omit<MatrixRow, "vector">;

interface Layout {
  kernel: ScoringKernel;
  /** Bytes per int8 row in kernel memory. */
  rowBytes: number;
  /** Unit vectors, row after row: the exact scores. */
  exact: Float32Array;
  /** Per row: the int8 row times its scale approximates the unit vector, within `rowError` (L2). */
  rowScale: Float32Array;
  rowError: Float32Array;
  unitQuery: Float32Array;
  queryOffset: number;
  query: Int16Array;
  outOffset: number;
  out: Int32Array;
  lower: Float32Array;
  upper: Float32Array;
}

/** A filter keeping at most 1/16 of the rows is scored exactly row by row, without the approximate pass. */
const SELECTIVE = 16;
/** Covers float rounding in the bounds, so the candidate cut never drops a true top hit. */
const SLACK = 1e-6;

/**
 * One tenant's points of one collection, searched exactly: an int8 copy of the unit vectors is scanned by
 * the SIMD kernel, giving each row's cosine within a proven bound (Cauchy–Schwarz on the quantisation
 * errors); only rows whose upper bound reaches the k-th best lower bound are scored in float32. Document
 * and tag filters use inverted indexes built at load time.
 */
export class TenantMatrix {
  readonly size: number;
  /** Rows skipped because their vector size differs from the first row's. */
  readonly skipped: number;
  readonly bytes: number;
  private readonly rowsByDocument = new Map<string, number[]>();
  private readonly rowsByTag = new Map<string, number[]>();

  private constructor(
    readonly version: number,
    readonly dims: number,
    private readonly rows: PointRow[],
    private readonly layout: Layout | null,
    skipped: number,
  ) {
    this.size = rows.length;
    this.skipped = skipped;
    this.bytes = layout
      ? layout.kernel.memory.buffer.byteLength + layout.exact.byteLength + this.size * 16
      : 0;
    rows.forEach((row, i) => {
      append(this.rowsByDocument, row.document_id, i);
      const tags = row.payload.tags;
      if (Array.isArray(tags)) {
        for (const tag of new Set(tags)) if (typeof tag === "string") append(this.rowsByTag, tag, i);
      }
    });
  }

  static build(version: number, rows: MatrixRow[]): TenantMatrix {
    const first = rows[0];
    if (!first) return new TenantMatrix(version, 0, [], null, 0);
    const dims = first.vector.byteLength / 4;
    const kept = rows.filter((row) => row.vector.byteLength === dims * 4);
    const n = kept.length;
    const rowBytes = Math.ceil(dims / ROW_ALIGN) * ROW_ALIGN;
    const queryOffset = n * rowBytes;
    const outOffset = queryOffset + rowBytes * 2;
    const kernel = createScoringKernel(outOffset + n * 4);
    const quantised = new Int8Array(kernel.memory.buffer, 0, n * rowBytes);
    const exact = new Float32Array(n * dims);
    const rowScale = new Float32Array(n);
    const rowError = new Float32Array(n);
    const scratch = new Float32Array(dims);
    kept.forEach((row, i) => {
      readVectorInto(row.vector, scratch);
      copyUnit(scratch, exact, i * dims);
      const q = quantise(exact, i * dims, dims, quantised, i * rowBytes);
      rowScale[i] = q.scale;
      rowError[i] = q.error;
    });
    const layout: Layout = {
      kernel,
      rowBytes,
      exact,
      rowScale,
      rowError,
      unitQuery: new Float32Array(dims),
      queryOffset,
      query: new Int16Array(kernel.memory.buffer, queryOffset, rowBytes),
      outOffset,
      out: new Int32Array(kernel.memory.buffer, outOffset, n),
      lower: new Float32Array(n),
      upper: new Float32Array(n),
    };
    // The vectors now live in the matrices: keep only what results need.
    const points = kept.map((row) => ({ id: row.id, document_id: row.document_id, payload: row.payload }));
    return new TenantMatrix(version, dims, points, layout, rows.length - n);
  }

  search(
    vector: Float32Array,
    filter: { documentIds?: string[]; tags?: string[] },
    limit: number,
    minScore: number,
  ): VectorHit[] {
    const layout = this.layout;
    if (!layout || limit <= 0) return [];
    if (vector.length !== this.dims) {
      throw new Error(`query vector has ${vector.length} dimensions, the collection's vectors ${this.dims}`);
    }
    if (!copyUnit(vector, layout.unitQuery, 0)) return [];

    const allowed = this.allowed(filter);
    let candidates: Int32Array;
    if (allowed && allowed.count * SELECTIVE <= this.size) {
      candidates = allowed.rows();
    } else {
      candidates = this.approximate(layout, limit, minScore, allowed?.mask ?? null);
    }
    const scores = this.exactScores(layout, candidates);
    const best = topK(scores, limit, minScore, null);
    return Array.from(best.indices, (index, j) => {
      const row = this.rows[candidates[index] as number] as PointRow;
      return {
        id: row.id,
        score: Math.max(-1, Math.min(1, best.scores[j] as number)),
        payload: { ...row.payload },
      };
    });
  }

  /**
   * The int8 pass: rows (ascending) whose exact score may be among the `limit` best at or above
   * `minScore`. |exact − approx| ≤ e_row + (1 + e_row)·e_query, since |a·b − â·b̂| ≤ |a−â|·|b| + |â|·|b−b̂|.
   */
  private approximate(layout: Layout, limit: number, minScore: number, mask: Uint8Array | null): Int32Array {
    const { out, lower, upper, rowScale, rowError } = layout;
    const query = quantise(layout.unitQuery, 0, this.dims, layout.query, 0);
    layout.kernel.scores(0, layout.queryOffset, layout.outOffset, this.size, layout.rowBytes);
    for (let i = 0; i < this.size; i++) {
      const error = rowError[i] as number;
      const approx = (out[i] as number) * (rowScale[i] as number) * query.scale;
      const bound = error + (1 + error) * query.error + SLACK;
      lower[i] = approx - bound;
      upper[i] = approx + bound;
    }
    const floor = topK(lower, limit, Number.NEGATIVE_INFINITY, mask);
    const kth =
      floor.indices.length === limit ? (floor.scores[limit - 1] as number) : Number.NEGATIVE_INFINITY;
    const cut = Math.max(kth, minScore);
    let count = 0;
    for (let i = 0; i < this.size; i++)
      if ((mask === null || mask[i] === 1) && (upper[i] as number) >= cut) count++;
    const rows = new Int32Array(count);
    let at = 0;
    for (let i = 0; i < this.size; i++) {
      if ((mask === null || mask[i] === 1) && (upper[i] as number) >= cut) rows[at++] = i;
    }
    return rows;
  }

  /** Rows the filter allows (null: no filter), as a mask over all rows. */
  private allowed(filter: { documentIds?: string[]; tags?: string[] }) {
    if (!filter.documentIds && !filter.tags) return null;
    const mark = new Uint8Array(this.size);
    let wanted = 0;
    if (filter.documentIds) {
      wanted |= 1;
      for (const id of filter.documentIds)
        for (const row of this.rowsByDocument.get(id) ?? []) mark[row] |= 1;
    }
    if (filter.tags) {
      wanted |= 2;
      for (const tag of filter.tags) for (const row of this.rowsByTag.get(tag) ?? []) mark[row] |= 2;
    }
    let count = 0;
    for (let i = 0; i < mark.length; i++) {
      const allowed = mark[i] === wanted ? 1 : 0;
      mark[i] = allowed;
      count += allowed;
    }
    return {
      count,
      mask: mark,
      rows: () => {
        const list = new Int32Array(count);
        let at = 0;
        for (let i = 0; i < mark.length; i++) if (mark[i] === 1) list[at++] = i;
        return list;
      },
    };
  }

  private exactScores(layout: Layout, rows: Int32Array): Float32Array {
    const { exact, unitQuery } = layout;
    const dims = this.dims;
    const scores = new Float32Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const base = (rows[k] as number) * dims;
      let sum = 0;
      for (let j = 0; j < dims; j++) sum += (exact[base + j] as number) * (unitQuery[j] as number);
      scores[k] = sum;
    }
    return scores;
  }
}

function append(index: Map<string, number[]>, key: string, row: number): void {
  const list = index.get(key);
  if (list) list.push(row);
  else index.set(key, [row]);
}

/** Writes `vector / |vector|` at `offset`; false (and nothing written) for a zero vector. */
function copyUnit(vector: Float32Array, into: Float32Array, offset: number): boolean {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) * (vector[i] as number);
  if (sum === 0) return false;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) into[offset + i] = (vector[i] as number) * scale;
  return true;
}

/**
 * Symmetric 8-bit quantisation of `length` values from `from` (to −127..127, written from `at`): the scale
 * and the L2 error.
 */
function quantise(
  values: Float32Array,
  from: number,
  length: number,
  into: Int8Array | Int16Array,
  at: number,
): { scale: number; error: number } {
  let max = 0;
  for (let i = 0; i < length; i++) max = Math.max(max, Math.abs(values[from + i] as number));
  if (max === 0) return { scale: 0, error: 0 };
  const scale = max / 127;
  const inverse = 127 / max;
  let squared = 0;
  for (let i = 0; i < length; i++) {
    const value = values[from + i] as number;
    const q = Math.round(value * inverse);
    into[at + i] = q;
    const error = value - q * scale;
    squared += error * error;
  }
  return { scale, error: Math.sqrt(squared) };
}
