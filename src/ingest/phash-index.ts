import type { Db } from '../db/client.ts';
import { popcount } from '../domain/perceptual-hash.ts';

export interface NearMatch {
  imageId: number;
  distance: number;
}

/**
 * The perceptual hashes of the stored images, kept in memory and topped up from the database
 * (rows with a higher id) before each search, so images stored by other processes are seen too.
 * A linear scan of 64-bit XORs: about a million comparisons per second per core is far beyond
 * what a clinical collection needs.
 */
export class PhashIndex {
  #ids: number[] = [];
  #hashes: bigint[] = [];
  #lastId = 0;

  async refresh(db: Db): Promise<void> {
    const rows = await db.image.findMany({
      where: { id: { gt: this.#lastId } },
      select: { id: true, phash: true },
      orderBy: { id: 'asc' },
    });
    for (const r of rows) this.add(r.id, r.phash);
  }

  add(id: number, phash: string): void {
    if (id <= this.#lastId) return;
    this.#ids.push(id);
    this.#hashes.push(BigInt(`0x${phash}`));
    this.#lastId = id;
  }

  /** Stored images within `maxDistance` bits of `phash`, nearest first. */
  near(phash: string, maxDistance: number): NearMatch[] {
    const h = BigInt(`0x${phash}`);
    const out: NearMatch[] = [];
    for (let i = 0; i < this.#hashes.length; i++) {
      const d = popcount(h ^ (this.#hashes[i] ?? 0n));
      if (d <= maxDistance) out.push({ imageId: this.#ids[i] ?? 0, distance: d });
    }
    return out.sort((a, b) => a.distance - b.distance || a.imageId - b.imageId);
  }
}
