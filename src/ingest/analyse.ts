// Everything the pipeline learns from the pixels, from one decode: the pixel hash (exact
// duplicates), the perceptual hash (near duplicates), the thumbnail and the technical quality advice.
import { createHash, webcrypto } from 'node:crypto';
import sharp, { type Metadata } from 'sharp';
import type { IngestLimits } from '../config.ts';
import { dHashFromRgb } from '../domain/perceptual-hash.ts';
import type { QualityMeasures } from '../domain/quality.ts';
import { IngestError } from './errors.ts';

export interface Header {
  format: string;
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
}

/** Reads the container header only: no pixels are decoded, so a decompression bomb costs nothing. */
export async function readHeader(bytes: Uint8Array, limits: IngestLimits): Promise<Header> {
  if (bytes.byteLength > limits.maxBytes) {
    throw new IngestError('FILE_TOO_LARGE', `the file has ${bytes.byteLength} bytes; the limit is ${limits.maxBytes}`);
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new IngestError('NOT_AN_IMAGE', `the file is not a readable image (${(e as Error).message.split('\n')[0]})`);
  }
  const { format, width, height } = meta;
  if (!format || !width || !height) throw new IngestError('NOT_AN_IMAGE', 'the file has no image dimensions');
  if (!limits.formats.includes(format)) {
    throw new IngestError(
      'UNSUPPORTED_FORMAT',
      `${format} files are not accepted; accepted: ${limits.formats.join(', ')}`,
    );
  }
  if (width * height > limits.maxPixels) {
    throw new IngestError(
      'IMAGE_TOO_LARGE',
      `${width}×${height} = ${width * height} pixels exceeds the limit of ${limits.maxPixels} (decompression bomb guard)`,
    );
  }
  if (Math.min(width, height) < limits.minSide) {
    throw new IngestError(
      'RESOLUTION_TOO_LOW',
      `${width}×${height} is below the minimum resolution: the shorter side must be at least ${limits.minSide} px`,
    );
  }
  return { format, width, height, orientation: meta.orientation ?? 1 };
}

export interface Decoded {
  /** sRGB pixels in display orientation: 3 channels, or 4 when the image has real transparency. */
  pixels: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** Decodes every pixel; a truncated or corrupt file fails here with a typed error. */
export async function decode(bytes: Uint8Array, limits: IngestLimits): Promise<Decoded> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: limits.maxPixels })
      .rotate()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const decoded = { pixels: data, width: info.width, height: info.height };
    if (info.channels === 3) return { ...decoded, channels: 3 };
    if (info.channels !== 4) throw new Error(`unexpected ${info.channels} channels`);
    // an alpha channel that is opaque everywhere carries no information: the same picture must
    // hash the same whether or not its container stored one
    return isOpaque(data) ? { ...decoded, pixels: dropAlpha(data), channels: 3 } : { ...decoded, channels: 4 };
  } catch (e) {
    const msg = (e as Error).message;
    if (/premature end|truncated|unexpected end|short read|not enough data/i.test(msg)) {
      throw new IngestError('TRUNCATED_IMAGE', `the image file is truncated (${msg.split('\n')[0]})`);
    }
    throw new IngestError('CORRUPT_IMAGE', `the image data cannot be decoded (${msg.split('\n')[0]})`);
  }
}

function isOpaque(rgba: Buffer): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

function dropAlpha(rgba: Buffer): Buffer {
  const rgb = Buffer.allocUnsafe((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i] as number;
    rgb[j + 1] = rgba[i + 1] as number;
    rgb[j + 2] = rgba[i + 2] as number;
  }
  return rgb;
}

/**
 * SHA-256 of the decoded pixels and their geometry: equal for the same picture whatever its file
 * name, metadata or lossless container (a JPEG's pixels re-saved as PNG hash the same).
 */
export function pixelHash(d: Decoded): string {
  return createHash('sha256').update(pixelHashPrefix(d)).update(d.pixels).digest('hex');
}

const pixelHashPrefix = (d: Decoded) => `${d.channels === 3 ? 'rgb8' : 'rgba8'}:${d.width}x${d.height}:`;

/**
 * pixelHash computed on libuv's thread pool (WebCrypto's digest runs there), not on the event loop:
 * hashing the 2.4 MB of a 1024×768 frame takes about 1.6 ms of CPU, which the pipeline's main thread
 * needs for the database. The same bytes are hashed, so the value is pixelHash's.
 */
export async function pixelHashOffThread(d: Decoded): Promise<string> {
  const prefix = Buffer.from(pixelHashPrefix(d), 'latin1');
  const all = Buffer.allocUnsafe(prefix.length + d.pixels.length);
  prefix.copy(all, 0);
  d.pixels.copy(all, prefix.length);
  const digest = await webcrypto.subtle.digest('SHA-256', all);
  return Buffer.from(digest).toString('hex');
}

const rawInput = (d: { width: number; height: number; channels: 1 | 2 | 3 | 4 }) => ({
  raw: { width: d.width, height: d.height, channels: d.channels },
});

export interface Derived {
  thumbnail: Buffer;
  /** 64-bit difference hash, 16 hex digits. */
  phash: string;
  quality: QualityMeasures;
}

export const THUMBNAIL_SIDE = 256;

/** The decoded pixels at thumbnail size, as RGB. */
const shrink = (d: Decoded) =>
  sharp(d.pixels, rawInput(d))
    .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });

/**
 * One resize of the decoded pixels to the 256 px thumbnail size; the WebP thumbnail, the
 * perceptual hash and the quality advice are all taken from that small copy.
 */
export async function derive(d: Decoded): Promise<Derived> {
  const small = await shrink(d);
  const { width, height } = small.info;
  const thumbnail = sharp(small.data, rawInput({ width, height, channels: 3 }))
    .webp({ quality: 80 })
    .toBuffer();
  // the hash and the advice are computed while libvips encodes the thumbnail
  const phash = dHashFromRgb(small.data, width, height);
  const quality = measureQuality(small.data, width, height);
  return { thumbnail: await thumbnail, phash, quality };
}

/** The quality advice alone, for a frame that is not stored (an SOP rejection), on the same small copy. */
export async function measure(d: Decoded): Promise<QualityMeasures> {
  const small = await shrink(d);
  return measureQuality(small.data, small.info.width, small.info.height);
}

/**
 * Technical quality advice stored beside the examiner's score (never replacing it; the verdicts and
 * their thresholds are in src/domain/quality.ts):
 * - sharpness: variance of the 4-neighbour Laplacian of luminance (higher = sharper);
 * - clippedShare: share of pixels with luminance ≤ 3 or ≥ 252 (exposure clipping);
 * - glareShare: share of bright, nearly colourless pixels (specular glare off the dermatoscope);
 * - meanLuminance: mean luminance 0–255 (a merely dark frame clips nothing);
 * - highlightShare: share of pixels with luminance ≥ 252 (blown highlights, the bright half of clippedShare).
 */
export function measureQuality(rgb: Uint8Array, width: number, height: number): QualityMeasures {
  const n = width * height;
  const lum = new Float32Array(n);
  let clipped = 0;
  let highlights = 0;
  let glare = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3] ?? 0;
    const g = rgb[i * 3 + 1] ?? 0;
    const b = rgb[i * 3 + 2] ?? 0;
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    lum[i] = y;
    total += y;
    if (y >= 252) highlights++;
    if (y <= 3 || y >= 252) clipped++;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    if (max >= 235 && max - min <= 0.12 * max) glare++;
  }
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap =
        (lum[i - 1] ?? 0) + (lum[i + 1] ?? 0) + (lum[i - width] ?? 0) + (lum[i + width] ?? 0) - 4 * (lum[i] ?? 0);
      sum += lap;
      sumSq += lap * lap;
      count++;
    }
  }
  const mean = count ? sum / count : 0;
  const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    sharpness: round(count ? sumSq / count - mean * mean : 0, 2),
    clippedShare: round(clipped / n, 4),
    glareShare: round(glare / n, 4),
    meanLuminance: round(total / n, 2),
    highlightShare: round(highlights / n, 4),
  };
}

/**
 * The bytes to store. Metadata is stripped losslessly; only a file whose EXIF orientation is not
 * the default is re-encoded (orientation lives in the EXIF that must go, so it is baked into the
 * pixels instead). Returns the format of the stored bytes.
 */
export async function reencodeUpright(bytes: Uint8Array, format: string): Promise<Buffer> {
  const img = sharp(bytes).rotate();
  if (format === 'jpeg') return img.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
  if (format === 'webp') return img.webp({ lossless: true }).toBuffer();
  return img.png().toBuffer();
}
