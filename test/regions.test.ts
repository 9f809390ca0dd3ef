// domain/regions.ts against cases computed by hand: a square's and a triangle's pixel counts, shared
// edges, the union of polygons, masks resized by nearest neighbour, IoU of known rectangles, a
// saliency peak inside and outside (and its ties), energy share and top-k of constructed maps, the
// checks of a review's regions, and presence kappa against agreement.ts's Fleiss' kappa.
import { describe, expect, it } from 'vitest';
import { fleissKappa } from '../src/domain/agreement.ts';
import { isRefusal } from '../src/domain/refusal.ts';
import {
  area,
  checkRegions,
  energyShare,
  iou,
  type Polygon,
  pointingGame,
  presenceKappa,
  rasterise,
  resizeNearest,
  topK,
  topKIoU,
  union,
} from '../src/domain/regions.ts';
import { seesRegions, seesReview } from '../src/domain/review-visibility.ts';
import { ROLES } from '../src/domain/roles.ts';

const rect = (x0: number, y0: number, x1: number, y1: number): Polygon => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
];
/** A bitmap as rows of '#' (inside) and '.' (outside), for reading a small grid at a glance. */
const picture = (m: Uint8Array, w: number) =>
  Array.from({ length: m.length / w }, (_, j) =>
    [...m.subarray(j * w, (j + 1) * w)].map((v) => (v ? '#' : '.')).join(''),
  );

describe('rasterise (even-odd, pixel centres)', () => {
  it('a square of a quarter of each side covers 4 × 4 pixels of 8 × 8', () => {
    const m = rasterise([rect(0.25, 0.25, 0.75, 0.75)], 8, 8);
    expect(area(m)).toBe(16);
    expect(picture(m, 8)).toEqual([
      '........',
      '........',
      '..####..',
      '..####..',
      '..####..',
      '..####..',
      '........',
      '........',
    ]);
  });

  it('the whole image is every pixel, whatever the winding', () => {
    expect(area(rasterise([rect(0, 0, 1, 1)], 7, 5))).toBe(35);
    expect(area(rasterise([[...rect(0, 0, 1, 1)].reverse()], 7, 5))).toBe(35);
  });

  it('a right triangle over the diagonal: the centres below it (10 of 4 × 4)', () => {
    // centres (i+½)/4; inside when x ≥ y: rows of 4, 3, 2, 1 pixels
    const m = rasterise(
      [
        [
          [0, 0],
          [1, 0],
          [1, 1],
        ],
      ],
      4,
      4,
    );
    expect(picture(m, 4)).toEqual(['####', '.###', '..##', '...#']);
  });

  it('two polygons sharing an edge share no pixel, and their union is the sum', () => {
    const left = rasterise([rect(0, 0, 0.5, 1)], 10, 4);
    const right = rasterise([rect(0.5, 0, 1, 1)], 10, 4);
    expect(area(left)).toBe(20);
    expect(area(right)).toBe(20);
    expect(iou(left, right)).toBe(0);
    expect(area(rasterise([rect(0, 0, 0.5, 1), rect(0.5, 0, 1, 1)], 10, 4))).toBe(40);
  });

  it('overlapping polygons add up (union), a self-crossing ring cuts a hole (even-odd)', () => {
    expect(area(rasterise([rect(0, 0, 0.5, 0.5), rect(0.25, 0.25, 0.75, 0.75)], 8, 8))).toBe(16 + 16 - 4);
    // an outer square and an inner one walked as one ring through a bridge of zero width
    const ring: Polygon = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [0, 0],
      [0.25, 0.25],
      [0.25, 0.75],
      [0.75, 0.75],
      [0.75, 0.25],
      [0.25, 0.25],
    ];
    expect(area(rasterise([ring], 8, 8))).toBe(64 - 16);
  });
});

describe('resizeNearest', () => {
  it('doubles and halves a 2 × 2 checkerboard', () => {
    const m = Uint8Array.from([255, 0, 0, 7]);
    expect(picture(resizeNearest(m, 2, 2, 4, 4), 4)).toEqual(['##..', '##..', '..##', '..##']);
    const big = resizeNearest(m, 2, 2, 4, 4);
    expect([...resizeNearest(big, 4, 4, 2, 2)]).toEqual([1, 0, 0, 1]);
  });

  it('takes the source pixel under each centre for odd ratios (3 → 2)', () => {
    // centres of 2 target columns over 3 source columns: floor(0.75) = 0, floor(2.25) = 2
    expect([...resizeNearest(Uint8Array.from([1, 0, 0]), 3, 1, 2, 1)]).toEqual([1, 0]);
    expect([...resizeNearest(Uint8Array.from([0, 1, 0]), 3, 1, 2, 1)]).toEqual([0, 0]);
  });
});

describe('iou', () => {
  it('of two rectangles: 4 × 4 and 4 × 4 shifted by 2 columns on 8 × 8 → 8 / 24', () => {
    const a = rasterise([rect(0, 0, 0.5, 0.5)], 8, 8);
    const b = rasterise([rect(0.25, 0, 0.75, 0.5)], 8, 8);
    expect(iou(a, b)).toBeCloseTo(8 / 24, 12);
    expect(iou(a, a)).toBe(1);
    expect(iou(new Uint8Array(4), new Uint8Array(4))).toBeNull();
    expect(area(union([a, b], 64))).toBe(24);
  });
});

describe('saliency against a region', () => {
  // 4 × 4; the region is the top-left 2 × 2
  const region = rasterise([rect(0, 0, 0.5, 0.5)], 4, 4);
  const map = (values: number[]) => Uint8Array.from(values);

  it('pointing game: the peak inside is 1, outside 0, ties go to the first in row-major order', () => {
    expect(pointingGame(map([0, 0, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), region)).toBe(1);
    expect(pointingGame(map([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255]), region)).toBe(0);
    // 255 at index 2 (outside) and 5 (inside): index 2 comes first
    expect(pointingGame(map([0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), region)).toBe(0);
    expect(pointingGame(map([0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), region)).toBe(1);
    expect(pointingGame(new Uint8Array(16), region)).toBeNull();
  });

  it('energy share: the mass inside over the whole mass', () => {
    // inside: 10 + 20 + 30 + 40 = 100; outside: 50 + 50 = 100 → 0.5
    const m = map([10, 20, 50, 0, 30, 40, 0, 0, 0, 0, 0, 50, 0, 0, 0, 0]);
    expect(energyShare(m, region)).toBe(0.5);
    expect(energyShare(map(new Array(16).fill(9)), region)).toBe(0.25);
    expect(energyShare(new Uint8Array(16), region)).toBeNull();
  });

  it('top-k: the k·100 % highest pixels, ties at the cut in row-major order', () => {
    const m = map([9, 9, 1, 1, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    // k = 0.25 → 4 pixels: exactly the region
    expect(topKIoU(m, region, 0.25)).toBe(1);
    // k = 0.5 → 8 pixels: the four 9s and the first four 1s (indices 2, 3, 6, 7) → IoU 4 / 8
    expect(picture(topK(m, 0.5) as Uint8Array, 4)).toEqual(['####', '####', '....', '....']);
    expect(topKIoU(m, region, 0.5)).toBe(0.5);
    // k tiny → at least one pixel: the first 9 (inside)
    expect(area(topK(m, 0.001) as Uint8Array)).toBe(1);
    expect(topKIoU(m, region, 0.001)).toBe(0.25);
    expect(topK(new Uint8Array(16), 0.1)).toBeNull();
  });
});

describe('checkRegions', () => {
  const square = [
    [0.1, 0.1],
    [0.4, 0.1],
    [0.4, 0.4],
  ];
  const ok = (r: unknown) => {
    expect(isRefusal(r)).toBe(false);
    return r;
  };
  const refused = (r: unknown) => {
    if (!isRefusal(r)) throw new Error('accepted');
    return r;
  };

  it('accepts polygons and masks of the review’s structures', () => {
    const r = ok(
      checkRegions(
        [
          { structure: 'BLUE_WHITISH_VEIL', polygons: [square], mask: false },
          { structure: 'MILIA_LIKE_CYSTS', mask: true },
        ],
        ['BLUE_WHITISH_VEIL', 'MILIA_LIKE_CYSTS'],
      ),
    );
    expect(r).toEqual([[square], null]);
  });

  it.each([
    [
      'a structure the review does not list',
      [{ structure: 'MILIA_LIKE_CYSTS', polygons: [square], mask: false }],
      'regions.0.structure',
    ],
    [
      'one structure twice',
      [
        { structure: 'BLUE_WHITISH_VEIL', polygons: [square], mask: false },
        { structure: 'BLUE_WHITISH_VEIL', mask: true },
      ],
      'regions.1',
    ],
    ['both polygons and a mask', [{ structure: 'BLUE_WHITISH_VEIL', polygons: [square], mask: true }], 'regions.0'],
    ['neither', [{ structure: 'BLUE_WHITISH_VEIL', mask: false }], 'regions.0'],
    ['no polygon', [{ structure: 'BLUE_WHITISH_VEIL', polygons: [], mask: false }], 'regions.0.polygons'],
    [
      '21 polygons',
      [{ structure: 'BLUE_WHITISH_VEIL', polygons: new Array(21).fill(square), mask: false }],
      'regions.0.polygons',
    ],
    [
      'two points',
      [{ structure: 'BLUE_WHITISH_VEIL', polygons: [square.slice(0, 2)], mask: false }],
      'regions.0.polygons.0',
    ],
    [
      '501 points',
      [
        {
          structure: 'BLUE_WHITISH_VEIL',
          polygons: [Array.from({ length: 501 }, (_, i) => [i / 501, (i * i) / 501 ** 2])],
          mask: false,
        },
      ],
      'regions.0.polygons.0',
    ],
    [
      'a coordinate past 1',
      [{ structure: 'BLUE_WHITISH_VEIL', polygons: [[...square, [1.5, 0.2]]], mask: false }],
      'regions.0.polygons.0.3',
    ],
    [
      'a point of three numbers',
      [{ structure: 'BLUE_WHITISH_VEIL', polygons: [[[0.1, 0.1, 0.1], ...square]], mask: false }],
      'regions.0.polygons.0.0',
    ],
    [
      'no area',
      [
        {
          structure: 'BLUE_WHITISH_VEIL',
          polygons: [
            [
              [0.1, 0.1],
              [0.2, 0.2],
              [0.3, 0.3],
            ],
          ],
          mask: false,
        },
      ],
      'regions.0.polygons.0',
    ],
  ] as const)('refuses %s, naming the argument', (_what, regions, argument) => {
    const r = refused(checkRegions(regions as never, ['BLUE_WHITISH_VEIL']));
    expect(r.argument).toBe(argument);
  });

  it('refuses a 31st region', () => {
    const many = Array.from({ length: 31 }, () => ({ structure: 'BLUE_WHITISH_VEIL' as const, mask: true }));
    expect(refused(checkRegions(many, ['BLUE_WHITISH_VEIL'])).argument).toBe('regions');
  });
});

describe('presenceKappa', () => {
  it('equals fleissKappa over two categories when every item has the same raters', () => {
    const items = [
      { raters: 3, present: 3 },
      { raters: 3, present: 0 },
      { raters: 3, present: 2 },
      { raters: 3, present: 1 },
      { raters: 3, present: 3 },
    ];
    const fleiss = fleissKappa(
      items.map((x) => [x.present, x.raters - x.present]),
      2,
    );
    expect(presenceKappa(items)).toBeCloseTo(fleiss.kappa as number, 12);
  });

  it('by hand with 2 and 3 raters', () => {
    // P_i: {2,2} → 1, {2,0} → 1, {3,1} → (0 + 2)/6 = 1/3; P̄ = 7/9
    // p = 3/7, P_e = 9/49 + 16/49 = 25/49; κ = (7/9 − 25/49) / (24/49) = (343 − 225)/441 · 49/24
    const k = presenceKappa([
      { raters: 2, present: 2 },
      { raters: 2, present: 0 },
      { raters: 3, present: 1 },
    ]);
    expect(k).toBeCloseTo(((7 / 9 - 25 / 49) / (24 / 49)) as number, 12);
    expect(presenceKappa([{ raters: 3, present: 3 }])).toBeNull();
    expect(presenceKappa([])).toBeNull();
  });
});

describe('seesRegions: stricter than seesReview before the consensus', () => {
  for (const role of [...ROLES, null]) {
    it(`${role ?? 'anonymous'}`, () => {
      for (const author of [false, true])
        for (const coReviewer of [false, true])
          for (const decided of [false, true]) {
            const sees = seesRegions(role, { author, decided });
            // never more than the review itself shows (only reviewers and admins author reviews)
            if (sees && (role === 'ADMIN' || role === 'REVIEWER' || !author))
              expect(seesReview(role, { author, coReviewer, decided })).toBe(true);
            const expected = role === 'ADMIN' || decided || (role === 'REVIEWER' && author);
            expect([role, author, coReviewer, decided, sees]).toEqual([role, author, coReviewer, decided, expected]);
          }
    });
  }
});
