// Expert structure regions: where a reviewer marked each dermoscopic structure, with their review
// (the input of submitReview's `regions`, schema/review.ts), and ExpertReview.regions under blind
// review's stricter rule for regions. What is measured with them is in schema/interpretability.ts.
import { builder } from '../builder.ts';
import { REGION_BOUNDS } from '../domain/regions.ts';
import {
  maskPath,
  regionsOfReview,
  type StructureRegionRequest,
  type StructureRegionRow,
} from '../resolvers/regions.ts';
import { actorOf } from '../server/context.ts';
import { DermoscopicStructureEnum } from './vocabulary.ts';

const MB = REGION_BOUNDS.maskBytes / 1024 / 1024;
const n = (x: number) => x.toLocaleString('en-US');

export const StructureRegionInput = builder.inputRef<StructureRegionRequest>('StructureRegionInput').implement({
  description:
    'Where one dermoscopic structure lies in the image: exactly one of `polygons` or `mask`. The structure must be ' +
    `one the review lists, each structure once. Bounds: at most ${REGION_BOUNDS.regions} regions a review, ` +
    `${REGION_BOUNDS.polygons} polygons a region, ${REGION_BOUNDS.minPoints}–${n(REGION_BOUNDS.maxPoints)} points a ` +
    `polygon (and at most 500 values in any list of a request), coordinates in [0, 1]; a mask is a PNG of at most ` +
    `${MB} MB and ${REGION_BOUNDS.maskSide} × ${REGION_BOUNDS.maskSide} pixels. A region out of bounds refuses the ` +
    'whole review (BAD_USER_INPUT naming it: `regions.2.polygons.0`), and nothing is stored.',
  fields: (t) => ({
    structure: t.field({ type: DermoscopicStructureEnum, required: true }),
    polygons: t.field({
      // [[[Float!]!]!]: polygons of points of two coordinates
      type: t.listRef(t.listRef(t.listRef('Float'))),
      description:
        'Polygons, each a list of [x, y] points in fractions of the image’s width and height (0–1, y downwards). ' +
        'The region is their union; a pixel is inside a polygon when its centre is (even-odd rule).',
    }),
    mask: t.field({
      type: 'File',
      description:
        'A PNG the image’s shape (stretched to the image when its size differs): non-zero after conversion to ' +
        'greyscale (alpha dropped) is inside. Stored as a 1-channel 0/255 PNG without metadata.',
    }),
  }),
});

const StructureRegionRef = builder.objectRef<StructureRegionRow>('StructureRegion').implement({
  description: 'Where a reviewer marked one dermoscopic structure: polygons, or a mask.',
  fields: (t) => ({
    structure: t.field({ type: DermoscopicStructureEnum, resolve: (r) => r.structure }),
    polygons: t.field({
      type: t.listRef(t.listRef(t.listRef('Float'))),
      nullable: true,
      description: 'Polygons of [x, y] points in fractions of the image’s width and height; null for a mask',
      resolve: (r) => r.polygons,
    }),
    maskUrl: t.string({
      nullable: true,
      description:
        'The mask (a 1-channel PNG, 255 = inside) as a URL signed for the caller, expiring after `expiresIn` ' +
        'seconds (default 1 h); null for polygons',
      args: { expiresIn: t.arg.int() },
      resolve: (r, args, ctx) => (r.maskKey ? ctx.signedUrl(maskPath(r.id), args.expiresIn) : null),
    }),
  }),
});

builder.prismaObjectField('ExpertReview', 'regions', (t) =>
  t.field({
    type: [StructureRegionRef],
    description:
      'Where the reviewer marked each structure. Stricter than the review: before the image’s consensus only its ' +
      'author and admins see them (a co-reviewer sees the class and structures, not the regions); after the ' +
      'consensus whoever sees the review.',
    resolve: (r, _args, ctx) => regionsOfReview(ctx, { role: ctx.role, code: () => actorOf(ctx).code }, r.id),
  }),
);
