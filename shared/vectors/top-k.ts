/**
 * Indices of the `k` best scores at or above `minScore` (and allowed by `mask` when given), best first;
 * ties go to the lower index. A size-k min-heap: one comparison for most rows.
 */
export function topK(
  scores: Float32Array,
  k: number,
  minScore: number,
  mask: Uint8Array | null,
): { indices: Int32Array; scores: Float32Array } {
  const heapIndex = new Int32Array(k);
  const heapScore = new Float32Array(k);
  let size = 0;
  // "a is worse than b": lower score, or the same score and a later row.
  const worse = (sa: number, ia: number, sb: number, ib: number) => sa < sb || (sa === sb && ia > ib);

  const siftDown = (from: number) => {
    let at = from;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= size) return;
      const right = left + 1;
      let child = left;
      if (
        right < size &&
        worse(
          heapScore[right] as number,
          heapIndex[right] as number,
          heapScore[left] as number,
          heapIndex[left] as number,
        )
      )
        child = right;
      if (
        !worse(
          heapScore[child] as number,
          heapIndex[child] as number,
          heapScore[at] as number,
          heapIndex[at] as number,
        )
      )
        return;
      swap(at, child);
      at = child;
    }
  };
  const swap = (a: number, b: number) => {
    const s = heapScore[a] as number;
    heapScore[a] = heapScore[b] as number;
    heapScore[b] = s;
    const i = heapIndex[a] as number;
    heapIndex[a] = heapIndex[b] as number;
    heapIndex[b] = i;
  };

  if (k > 0) {
    for (let i = 0; i < scores.length; i++) {
      const score = scores[i] as number;
      if (score < minScore || (mask !== null && mask[i] === 0)) continue;
      if (size < k) {
        let at = size++;
        heapScore[at] = score;
        heapIndex[at] = i;
        while (at > 0) {
          const parent = (at - 1) >> 1;
          if (
            !worse(
              heapScore[at] as number,
              heapIndex[at] as number,
              heapScore[parent] as number,
              heapIndex[parent] as number,
            )
          )
            break;
          swap(at, parent);
          at = parent;
        }
      } else if (score > (heapScore[0] as number)) {
        heapScore[0] = score;
        heapIndex[0] = i;
        siftDown(0);
      }
    }
  }

  const order = Array.from({ length: size }, (_, j) => j).sort((a, b) =>
    worse(heapScore[a] as number, heapIndex[a] as number, heapScore[b] as number, heapIndex[b] as number)
      ? 1
      : -1,
  );
  return {
    indices: Int32Array.from(order, (j) => heapIndex[j] as number),
    scores: Float32Array.from(order, (j) => heapScore[j] as number),
  };
}
