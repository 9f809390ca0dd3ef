/** Perceptual hashing: a 64-bit difference hash (dHash) and the Hamming distance between two. */

/** For each of 8 rows of a 9×8 greyscale grid: is each pixel darker than its right neighbour? */
export function dHash(grid9x8: Uint8Array): string {
  let bits = 0n;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const left = grid9x8[y * 9 + x] ?? 0;
      const right = grid9x8[y * 9 + x + 1] ?? 0;
      bits = (bits << 1n) | (left < right ? 1n : 0n);
    }
  }
  return bits.toString(16).padStart(16, '0');
}

export function popcount(x: bigint): number {
  let n = 0;
  let v = x;
  while (v) {
    v &= v - 1n;
    n++;
  }
  return n;
}

/** Hamming distance between two 64-bit hashes written as 16 hex digits. */
export const hammingDistance = (a: string, b: string): number => popcount(BigInt(`0x${a}`) ^ BigInt(`0x${b}`));
