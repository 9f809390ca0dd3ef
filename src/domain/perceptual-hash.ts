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

/**
 * dHash of an RGB image: mean luminance over a 9×8 grid of equal areas (each pixel counted in
 * the cell that contains its corner), then dHash of that grid.
 */
export function dHashFromRgb(rgb: Uint8Array, width: number, height: number): string {
  const sums = new Float64Array(72);
  const weights = new Float64Array(72);
  const cw = width / 9;
  const ch = height / 8;
  for (let y = 0; y < height; y++) {
    const gy = Math.min(7, Math.floor(y / ch));
    for (let x = 0; x < width; x++) {
      const gx = Math.min(8, Math.floor(x / cw));
      const i = (y * width + x) * 3;
      const lum = 0.299 * (rgb[i] ?? 0) + 0.587 * (rgb[i + 1] ?? 0) + 0.114 * (rgb[i + 2] ?? 0);
      const cell = gy * 9 + gx;
      sums[cell] = (sums[cell] ?? 0) + lum;
      weights[cell] = (weights[cell] ?? 0) + 1;
    }
  }
  const grid = new Uint8Array(72);
  for (let c = 0; c < 72; c++) grid[c] = Math.round((sums[c] ?? 0) / Math.max(1, weights[c] ?? 0));
  return dHash(grid);
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
