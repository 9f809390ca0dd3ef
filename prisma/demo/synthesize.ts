// Draws synthetic dermoscopic lesion images: a skin background under uneven dermatoscope lighting,
// and a lesion whose shape, colours and texture follow its class. Not clinical images — stand-ins
// with enough variety that unrelated images are far apart in perceptual-hash space, and
// re-shots of the same lesion (small shift, other noise) are close.
import sharp from 'sharp';
import type { DiagnosisClass, FitzpatrickType } from '../../src/domain/enums.ts';
import { Random } from '../../src/domain/random.ts';

export interface LesionDrawing {
  /** Seed of the lesion's appearance: the same seed draws the same lesion. */
  seed: number;
  diagnosisClass: DiagnosisClass;
  fitzpatrick?: FitzpatrickType | undefined;
  width: number;
  height: number;
  /** Re-shot of the same lesion: a small camera shift and fresh sensor noise (near duplicates). */
  shot?: { dx: number; dy: number; noiseSeed: number };
  /** Gaussian blur sigma for an out-of-focus (SOP-rejected) frame. */
  blur?: number;
}

type RGB = readonly [number, number, number];

const SKIN: Record<FitzpatrickType, RGB> = {
  I: [238, 204, 186],
  II: [228, 188, 160],
  III: [206, 160, 126],
  IV: [172, 124, 92],
  V: [128, 88, 62],
  VI: [88, 60, 44],
};

interface Palette {
  core: RGB;
  edge: RGB;
  accents: RGB[];
  irregularity: number;
  dots: number;
  network: number;
}

const PALETTES: Record<DiagnosisClass, Palette> = {
  NEVUS: {
    core: [120, 78, 52],
    edge: [160, 112, 80],
    accents: [[96, 60, 40]],
    irregularity: 0.06,
    dots: 8,
    network: 0.35,
  },
  DYSPLASTIC_NEVUS: {
    core: [104, 64, 44],
    edge: [168, 116, 84],
    accents: [
      [70, 44, 32],
      [150, 90, 70],
    ],
    irregularity: 0.16,
    dots: 18,
    network: 0.5,
  },
  MELANOMA: {
    core: [60, 40, 36],
    edge: [140, 90, 70],
    accents: [
      [70, 80, 120],
      [30, 24, 24],
      [200, 190, 190],
    ],
    irregularity: 0.3,
    dots: 30,
    network: 0.4,
  },
  SEBORRHEIC_KERATOSIS: {
    core: [130, 96, 64],
    edge: [170, 130, 96],
    accents: [[230, 220, 180]],
    irregularity: 0.1,
    dots: 26,
    network: 0.1,
  },
  HEMANGIOMA: {
    core: [150, 40, 60],
    edge: [190, 80, 90],
    accents: [[110, 30, 70]],
    irregularity: 0.08,
    dots: 14,
    network: 0,
  },
  DERMATOFIBROMA: {
    core: [220, 200, 190],
    edge: [160, 110, 84],
    accents: [[140, 96, 70]],
    irregularity: 0.07,
    dots: 4,
    network: 0.25,
  },
  BASAL_CELL_CARCINOMA: {
    core: [200, 140, 140],
    edge: [210, 160, 150],
    accents: [
      [180, 40, 50],
      [90, 90, 110],
    ],
    irregularity: 0.18,
    dots: 10,
    network: 0,
  },
  SQUAMOUS_CELL_CARCINOMA: {
    core: [210, 150, 140],
    edge: [200, 170, 160],
    accents: [
      [240, 230, 210],
      [170, 60, 60],
    ],
    irregularity: 0.2,
    dots: 12,
    network: 0,
  },
  PAPILLOMA: {
    core: [200, 160, 140],
    edge: [190, 150, 124],
    accents: [[170, 130, 110]],
    irregularity: 0.12,
    dots: 20,
    network: 0,
  },
};

/** Raw RGB pixels of one lesion image. */
export function drawLesion(d: LesionDrawing): Buffer {
  const rnd = new Random(d.seed);
  const { width: W, height: H } = d;
  const S = Math.min(W, H);
  const skin = SKIN[d.fitzpatrick ?? 'II'];
  const pal = PALETTES[d.diagnosisClass];

  // uneven lighting and skin relief: a tilted plane plus a dozen soft bumps, different for every
  // lesion, so that unrelated images differ in the coarse gradients a perceptual hash sees
  const tilt = rnd.range(-20, 20);
  const tiltAngle = rnd.range(0, Math.PI * 2);
  const tx = Math.cos(tiltAngle) * tilt;
  const ty = Math.sin(tiltAngle) * tilt;
  const bumps = Array.from({ length: 24 }, () => ({
    x: rnd.range(-0.1, 1.1) * W,
    y: rnd.range(-0.1, 1.1) * H,
    s: rnd.range(0.06, 0.14) * S,
    a: rnd.range(-36, 36),
  }));

  // lesion shape: a star-shaped region with radius modulated by a few harmonics
  const cx0 = W / 2 + rnd.range(-0.12, 0.12) * W;
  const cy0 = H / 2 + rnd.range(-0.12, 0.12) * H;
  const r0 = rnd.range(0.14, 0.3) * S;
  const aspect = rnd.range(0.75, 1.25);
  const rot = rnd.range(0, Math.PI);
  const harmonics = Array.from({ length: 5 }, (_, k) => ({
    n: k + 2,
    a: rnd.range(0, pal.irregularity) / (1 + k * 0.4),
    p: rnd.range(0, Math.PI * 2),
  }));
  const dots = Array.from({ length: pal.dots }, () => {
    const ang = rnd.range(0, Math.PI * 2);
    const rad = Math.sqrt(rnd.next()) * 0.85;
    return { ang, rad, size: rnd.range(0.015, 0.045) * S, color: rnd.pick(pal.accents) };
  });
  const netFreq = rnd.range(0.18, 0.3);
  const netPhase = rnd.range(0, 6);
  const accentBlob = { ang: rnd.range(0, Math.PI * 2), rad: rnd.range(0, 0.5), size: rnd.range(0.2, 0.45) };

  const shift = d.shot ?? { dx: 0, dy: 0, noiseSeed: d.seed ^ 0x5bd1e995 };
  const cx = cx0 + shift.dx;
  const cy = cy0 + shift.dy;
  const maxEdge = harmonics.reduce((m, h) => m * (1 + h.a), r0);
  const cosR = Math.cos(rot);
  const sinR = Math.sin(rot);

  // a Gaussian bump is separable: exp(-(dx²+dy²)/2s²) = exp(-dx²/2s²)·exp(-dy²/2s²),
  // so the light field is summed row by row over typed arrays
  const light = new Float32Array(W * H);
  const bx = bumps.map((b) =>
    Float32Array.from({ length: W }, (_, x) => Math.exp(-((x - b.x - shift.dx) ** 2) / (2 * b.s * b.s))),
  );
  for (let y = 0; y < H; y++) {
    const row = y * W;
    const base = ((y - H / 2) / H) * ty;
    for (let x = 0; x < W; x++) light[row + x] = base + ((x - W / 2) / W) * tx;
    for (let k = 0; k < bumps.length; k++) {
      const b = bumps[k] as (typeof bumps)[number];
      const wy = b.a * Math.exp(-((y - b.y - shift.dy) ** 2) / (2 * b.s * b.s));
      if (Math.abs(wy) < 0.05) continue;
      const col = bx[k] as Float32Array;
      for (let x = 0; x < W; x++) light[row + x] = (light[row + x] as number) + wy * (col[x] as number);
    }
  }
  // sensor noise from an inline xorshift: one call per pixel adds up
  let ns = shift.noiseSeed >>> 0 || 1;

  // a clamped array saturates at 0 and 255 (and rounds) on assignment
  const out = new Uint8ClampedArray(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const ux = x - cx;
      const uy = y - cy;
      const lx = (ux * cosR + uy * sinR) / aspect;
      const ly = -ux * sinR + uy * cosR;
      const radius = Math.hypot(lx, ly);
      let dist = 2;
      let edge = r0;
      if (radius < maxEdge * 1.08) {
        const ang = Math.atan2(ly, lx);
        for (const h of harmonics) edge *= 1 + h.a * Math.sin(h.n * ang + h.p);
        dist = radius / edge;
      }

      let r = skin[0];
      let g = skin[1];
      let b = skin[2];
      if (dist < 1.08) {
        // inside (with a soft rim): blend edge → core colour towards the centre
        const t = Math.min(1, Math.max(0, (1.08 - dist) / 0.5));
        const inner = Math.max(0, 1 - dist);
        let cr = pal.edge[0] + (pal.core[0] - pal.edge[0]) * inner;
        let cg = pal.edge[1] + (pal.core[1] - pal.edge[1]) * inner;
        let cb = pal.edge[2] + (pal.core[2] - pal.edge[2]) * inner;
        if (pal.network > 0) {
          const net = Math.sin(x * netFreq + netPhase) * Math.sin(y * netFreq - netPhase);
          const k = pal.network * 28 * (net > 0.55 ? -1 : 0.25);
          cr += k;
          cg += k;
          cb += k;
        }
        const ax = Math.cos(accentBlob.ang) * accentBlob.rad * edge;
        const ay = Math.sin(accentBlob.ang) * accentBlob.rad * edge;
        const ad = Math.hypot(lx - ax, ly - ay) / (accentBlob.size * edge);
        if (ad < 1 && pal.accents.length > 1) {
          const acc = pal.accents[1] ?? pal.core;
          const w = (1 - ad) * 0.7;
          cr += (acc[0] - cr) * w;
          cg += (acc[1] - cg) * w;
          cb += (acc[2] - cb) * w;
        }
        for (const dot of dots) {
          const px = Math.cos(dot.ang) * dot.rad * edge;
          const py = Math.sin(dot.ang) * dot.rad * edge;
          const dd = (lx - px) * (lx - px) + (ly - py) * (ly - py);
          if (dd < dot.size * dot.size) {
            cr = dot.color[0];
            cg = dot.color[1];
            cb = dot.color[2];
          }
        }
        r += (cr - r) * t;
        g += (cg - g) * t;
        b += (cb - b) * t;
      }
      ns ^= ns << 13;
      ns ^= ns >>> 17;
      ns ^= ns << 5;
      const p = y * W + x;
      const l = (light[p] as number) + ((ns >>> 0) / 4294967296 - 0.5) * 10;
      out[p * 3] = r + l;
      out[p * 3 + 1] = g + l;
      out[p * 3 + 2] = b + l;
    }
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** A JPEG of the lesion, as a smartphone on a dermatoscope would save it (optionally with EXIF + GPS). */
export function lesionJpeg(d: LesionDrawing, opts: { exif?: boolean; quality?: number } = {}): Promise<Buffer> {
  return encodeLesionJpeg(drawLesion(d), d, opts);
}

/** Encodes pixels drawn by drawLesion (perhaps in another thread) for the drawing `d`. */
export function encodeLesionJpeg(
  pixels: Buffer,
  d: LesionDrawing,
  opts: { exif?: boolean; quality?: number } = {},
): Promise<Buffer> {
  let img = sharp(pixels, { raw: { width: d.width, height: d.height, channels: 3 } });
  if (d.blur) img = img.blur(d.blur);
  img = img.jpeg({ quality: opts.quality ?? 90 });
  if (opts.exif) img = img.withExif(CAMERA_EXIF);
  return img.toBuffer();
}

/** What a phone writes into a photo: camera, time and the place it was taken. The pipeline must remove it. */
export const CAMERA_EXIF = {
  IFD0: {
    Make: 'DemoPhone',
    Model: 'DemoPhone 12 + polarised dermatoscope',
    Software: 'Camera 4.2',
    Artist: 'Dr Jane Roe',
  },
  IFD2: { DateTimeOriginal: '2025:06:14 10:22:31', UserComment: 'patient Ivan Petrov, room 12' },
  IFD3: {
    GPSLatitudeRef: 'N',
    GPSLatitude: '55/1 45/1 2100/100',
    GPSLongitudeRef: 'E',
    GPSLongitude: '37/1 37/1 1200/100',
  },
} as const;
