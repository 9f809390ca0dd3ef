import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAMERA_EXIF, drawLesion } from '../prisma/demo/synthesize.ts';
import { MetadataStripError, stripJpeg, stripMetadata, stripPng, stripWebp } from '../src/ingest/strip-metadata.ts';
import { lesion, TEST_SEED } from './helpers/images.ts';

const W = 120;
const H = 90;
const XMP =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Clinic 7 xmp</dc:creator>' +
  '</rdf:Description></rdf:RDF></x:xmpmeta>';

/** Strings that only the metadata carries: none of them may survive stripping. */
const SECRETS = [
  CAMERA_EXIF.IFD0.Make,
  CAMERA_EXIF.IFD0.Artist,
  CAMERA_EXIF.IFD0.Software,
  CAMERA_EXIF.IFD2.DateTimeOriginal,
  'Ivan Petrov',
  'Clinic 7 xmp',
];

/** RGB pixels of a synthetic lesion; the seed is printed by helpers/images.ts. */
function pixels(n: number, channels: 3 | 4 = 3): Sharp {
  const rgb = drawLesion({ seed: TEST_SEED * 1000 + n, diagnosisClass: 'NEVUS', width: W, height: H });
  const img = sharp(rgb, { raw: { width: W, height: H, channels: 3 } });
  // a soft alpha ramp, so a dropped ALPH chunk changes the decoded pixels
  if (channels === 4) {
    const alpha = Buffer.alloc(W * H);
    for (let i = 0; i < alpha.length; i++) alpha[i] = 128 + ((i * 7) % 128);
    return img.joinChannel(alpha, { raw: { width: W, height: H, channels: 1 } });
  }
  return img;
}

async function decode(bytes: Buffer) {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { data, shape: [info.width, info.height, info.channels] };
}

async function expectSamePixels(stripped: Buffer, original: Buffer): Promise<void> {
  const [a, b] = await Promise.all([decode(stripped), decode(original)]);
  expect(a.shape).toEqual(b.shape);
  expect(a.data.length).toBeGreaterThan(0);
  expect(a.data.equals(b.data), 'decoded pixels differ').toBe(true);
}

/** A short, readable stand-in for a byte range, so a failed comparison prints a list, not kilobytes. */
const digest = (label: string, bytes: Buffer) =>
  `${label} ${bytes.length} ${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;

function expectNoSecrets(bytes: Buffer): void {
  const text = bytes.toString('latin1');
  for (const s of SECRETS) expect(text, s).not.toContain(s);
}

function expectAllSecrets(bytes: Buffer, secrets: readonly string[]): void {
  const text = bytes.toString('latin1');
  for (const s of secrets) expect(text, `the test input should carry ${s}`).toContain(s);
}

// ---- JPEG -------------------------------------------------------------------------------------

interface JpegSegment {
  marker: number;
  /** From the 0xFF of the marker to the end of the segment. */
  bytes: Buffer;
}

/** The segments before the first scan, and the scan data with everything after it. */
function jpegSegments(buf: Buffer): { segments: JpegSegment[]; scan: Buffer } {
  const segments: JpegSegment[] = [];
  let i = 2;
  for (;;) {
    const marker = buf[i + 1];
    if (buf[i] !== 0xff || marker === undefined) throw new Error(`test walker: no marker at ${i}`);
    if (marker === 0xda) return { segments, scan: buf.subarray(i) };
    const end = i + 2 + buf.readUInt16BE(i + 2);
    segments.push({ marker, bytes: buf.subarray(i, end) });
    i = end;
  }
}

function jpegSegment(marker: number, payload: string | Buffer, fill = 0): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const head = Buffer.alloc(fill + 4, 0xff);
  head[fill + 1] = marker;
  head.writeUInt16BE(body.length + 2, fill + 2);
  return Buffer.concat([head, body]);
}

/** Inserts segments right after SOI. */
const insertAfterSoi = (jpeg: Buffer, ...segments: Buffer[]) =>
  Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

const COMMENT = 'seen by Dr Jane Roe, patient Ivan Petrov';
// Photoshop IRB with an IPTC by-line: what newsroom and PACS tools write into APP13
const APP13 = Buffer.concat([
  Buffer.from('Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10', 'latin1'),
  Buffer.from('\x1c\x02\x50\x00\x0bIvan Petrov', 'latin1'),
]);

describe('stripJpeg', () => {
  let input: Buffer;
  let stripped: Buffer;

  beforeAll(async () => {
    const encoded = await pixels(1)
      .jpeg({ quality: 90 })
      .withExif(CAMERA_EXIF)
      .withXmp(XMP)
      .withIccProfile('p3')
      .toBuffer();
    input = insertAfterSoi(encoded, jpegSegment(0xfe, COMMENT), jpegSegment(0xed, APP13));
    stripped = stripJpeg(input);
  });

  it('starts from a JPEG that carries EXIF with GPS, XMP, IPTC, a comment and an ICC profile', async () => {
    const meta = await sharp(input).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.exif).toBeDefined();
    expect(meta.xmp).toBeDefined();
    expect(meta.iptc).toBeDefined();
    expect(meta.icc).toBeDefined();
    expectAllSecrets(input, [...SECRETS, COMMENT, 'Exif\0\0', 'Photoshop 3.0']);
    // the GPS IFD pointer (tag 0x8825, little-endian as libvips writes it)
    expect(meta.exif?.includes(Buffer.from([0x25, 0x88]))).toBe(true);
  });

  it('removes EXIF, XMP, IPTC and comments', async () => {
    const meta = await sharp(stripped).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.iptc).toBeUndefined();
    expectNoSecrets(stripped);
    const text = stripped.toString('latin1');
    for (const s of ['Exif\0\0', 'http://ns.adobe.com/xap/1.0/', 'Photoshop 3.0', '8BIM'])
      expect(text).not.toContain(s);
    const markers = jpegSegments(stripped).segments.map((s) => s.marker);
    for (const m of [0xe1, 0xed, 0xfe]) expect(markers).not.toContain(m);
  });

  it('keeps the ICC profile', async () => {
    const [before, after] = await Promise.all([sharp(input).metadata(), sharp(stripped).metadata()]);
    expect(after.icc).toBeDefined();
    expect(after.icc?.equals(before.icc ?? Buffer.alloc(0))).toBe(true);
  });

  it('copies every other segment and the scan data byte for byte', () => {
    const before = jpegSegments(input);
    const after = jpegSegments(stripped);
    const metadata = new Set([0xe1, 0xed, 0xfe]);
    const summary = (s: JpegSegment) => digest(s.marker.toString(16), s.bytes);
    expect(after.segments.map(summary)).toEqual(before.segments.filter((s) => !metadata.has(s.marker)).map(summary));
    expect(digest('scan', after.scan)).toBe(digest('scan', before.scan));
    expect(stripped.length).toBe(2 + after.segments.reduce((n, s) => n + s.bytes.length, 0) + after.scan.length);
  });

  it('decodes to byte-identical pixels', async () => {
    await expectSamePixels(stripped, input);
  });

  it('turns a camera JPEG into exactly the JPEG the encoder writes without EXIF', async () => {
    const withExif = await lesion(2, { exif: true, width: W, height: H });
    const plain = await lesion(2, { exif: false, width: W, height: H });
    expectAllSecrets(withExif, SECRETS.slice(0, 4));
    expect(stripJpeg(withExif).equals(plain)).toBe(true);
  });

  it('leaves a JPEG without metadata unchanged, and stripping twice changes nothing', async () => {
    const plain = await pixels(3).jpeg().toBuffer();
    expect(stripJpeg(plain).equals(plain)).toBe(true);
    expect(stripJpeg(stripped).equals(stripped)).toBe(true);
  });

  it.each([
    ['APP0 JFIF', 0xe0, true, 'JFIF\0\x01\x02\0\0\x01\0\x01\0\0'],
    ['APP0 JFXX', 0xe0, true, 'JFXX\0\x13'],
    ['APP0 of another kind', 0xe0, false, 'AVI1\0\0\0\0'],
    ['APP1 Exif', 0xe1, false, 'Exif\0\0II*\0'],
    ['APP1 XMP', 0xe1, false, 'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>'],
    ['APP2 ICC_PROFILE', 0xe2, true, 'ICC_PROFILE\0\x01\x01'],
    ['APP2 MPF', 0xe2, false, 'MPF\0MM\0*'],
    ['APP12 Ducky', 0xec, false, 'Ducky\0\x01'],
    ['APP13 Photoshop', 0xed, false, 'Photoshop 3.0\0'],
    ['APP14 Adobe', 0xee, true, 'Adobe\0\x64\0\0\0\0\x01'],
    ['APP15', 0xef, false, 'private'],
    ['COM', 0xfe, false, 'a comment'],
  ] as const)('%s segment (marker %i): kept = %s', async (_name, marker, kept, payload) => {
    const plain = await pixels(4).jpeg().toBuffer();
    const segment = jpegSegment(marker, payload);
    const out = stripJpeg(insertAfterSoi(plain, segment));
    expect(out.equals(kept ? insertAfterSoi(plain, segment) : plain)).toBe(true);
    expect(out.length).toBe(plain.length + (kept ? segment.length : 0));
  });

  it('drops a metadata segment preceded by fill bytes', async () => {
    const plain = await pixels(4).jpeg().toBuffer();
    expect(stripJpeg(insertAfterSoi(plain, jpegSegment(0xfe, COMMENT, 3))).equals(plain)).toBe(true);
  });

  it('reads a Uint8Array view into a larger buffer from its own offset', () => {
    const padded = Buffer.concat([Buffer.from('garbage'), input, Buffer.from('tail')]);
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 7, input.length);
    expect(stripJpeg(view).equals(stripped)).toBe(true);
  });

  it('throws MetadataStripError on input that is not a JPEG', async () => {
    const png = await pixels(5).png().toBuffer();
    expect(() => stripJpeg(png)).toThrow(MetadataStripError);
    expect(() => stripJpeg(Buffer.alloc(0))).toThrow(MetadataStripError);
    expect(() => stripJpeg(Buffer.from('GIF89a'))).toThrow(MetadataStripError);
  });

  it('throws MetadataStripError when the file ends inside a segment header or before the scan', () => {
    const { segments } = jpegSegments(input);
    const icc = segments.find((s) => s.marker === 0xe2);
    if (!icc) throw new Error('no ICC segment in the test input');
    const at = icc.bytes.byteOffset - input.byteOffset;
    const cuts = {
      'after the 0xFF': at + 1,
      'after the marker': at + 2,
      'inside the length': at + 3,
      'inside the payload': at + 40,
      'at a segment boundary before the scan': at + icc.bytes.length,
    };
    for (const [where, cut] of Object.entries(cuts)) {
      expect(() => stripJpeg(input.subarray(0, cut)), where).toThrow(MetadataStripError);
    }
  });

  it('throws MetadataStripError when a segment length is below 2', async () => {
    const plain = await pixels(4).jpeg().toBuffer();
    const bad = insertAfterSoi(plain, Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    expect(() => stripJpeg(bad)).toThrow(MetadataStripError);
  });
});

// ---- PNG --------------------------------------------------------------------------------------

interface PngChunk {
  type: string;
  bytes: Buffer;
}

function pngChunks(buf: Buffer): PngChunk[] {
  const chunks: PngChunk[] = [];
  for (let i = 8; i < buf.length; ) {
    const end = i + 12 + buf.readUInt32BE(i);
    chunks.push({ type: buf.toString('latin1', i + 4, i + 8), bytes: buf.subarray(i, end) });
    i = end;
  }
  return chunks;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('stripPng', () => {
  let base: Buffer;
  let input: Buffer;
  let exifTiff: Buffer;

  beforeAll(async () => {
    base = await pixels(6).png().withIccProfile('p3').toBuffer();
    const exifJpeg = await pixels(6).jpeg().withExif(CAMERA_EXIF).toBuffer();
    const exif = (await sharp(exifJpeg).metadata()).exif;
    if (!exif) throw new Error('sharp wrote no EXIF');
    exifTiff = exif.subarray(exif.indexOf('Exif\0\0') === 0 ? 6 : 0); // eXIf holds the bare TIFF block
    const ihdr = pngChunks(base)[0];
    if (ihdr?.type !== 'IHDR') throw new Error('PNG does not start with IHDR');
    const end = 8 + ihdr.bytes.length;
    input = Buffer.concat([
      base.subarray(0, end),
      pngChunk('eXIf', exifTiff),
      pngChunk('tEXt', latin1('Author\0Dr Jane Roe')),
      pngChunk('zTXt', Buffer.concat([latin1('Comment\0\0'), deflateSync(latin1('patient Ivan Petrov'))])),
      pngChunk('iTXt', latin1(`XML:com.adobe.xmp\0\0\0\0\0${XMP}`)),
      pngChunk('tIME', Buffer.from([0x07, 0xe9, 6, 14, 10, 22, 31])),
      pngChunk('prVt', latin1('Camera 4.2 private')),
      base.subarray(end),
    ]);
  });

  it('starts from a PNG whose metadata chunks sharp reads', async () => {
    const meta = await sharp(input).metadata();
    expect(meta.format).toBe('png');
    expect(meta.exif).toBeDefined();
    expect(meta.icc).toBeDefined();
    expect(meta.comments?.map((c) => c.keyword)).toEqual(expect.arrayContaining(['Author', 'Comment']));
    expect(pngChunks(input).map((c) => c.type)).toEqual(
      expect.arrayContaining(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME']),
    );
    expectAllSecrets(input, [CAMERA_EXIF.IFD0.Make, 'Dr Jane Roe', 'Clinic 7 xmp']);
  });

  it('drops the text, EXIF, time and private chunks and nothing else', async () => {
    const out = stripPng(input);
    const types = pngChunks(out).map((c) => c.type);
    for (const t of ['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME', 'prVt']) expect(types).not.toContain(t);
    expect(types[0]).toBe('IHDR');
    expect(types).toContain('IDAT');
    expect(types).toContain('iCCP');
    expect(types.at(-1)).toBe('IEND');
    // base is what sharp wrote before the chunks were added: all of it is kept, byte for byte
    expect(out.equals(base)).toBe(true);
    const meta = await sharp(out).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.comments ?? []).toEqual([]);
    expect(meta.icc?.equals((await sharp(input).metadata()).icc ?? Buffer.alloc(0))).toBe(true);
    expectNoSecrets(out);
  });

  it('decodes to byte-identical pixels', async () => {
    await expectSamePixels(stripPng(input), input);
  });

  it('keeps transparency, and drops what follows IEND', async () => {
    const rgba = await pixels(7, 4).png().toBuffer();
    expect(pngChunks(rgba).map((c) => c.type)).toContain('IDAT');
    const trailing = Buffer.concat([rgba, latin1('appended: patient Ivan Petrov')]);
    const out = stripPng(trailing);
    expect(out.equals(rgba)).toBe(true);
    await expectSamePixels(out, rgba);
  });

  it('throws MetadataStripError on a PNG without IEND, a truncated chunk or a non-PNG', async () => {
    expect(() => stripPng(input.subarray(0, input.length - 12))).toThrow(MetadataStripError);
    expect(() => stripPng(input.subarray(0, input.length - 12))).toThrow(/IEND/);
    expect(() => stripPng(input.subarray(0, input.length - 20))).toThrow(MetadataStripError);
    const jpeg = await pixels(6).jpeg().toBuffer();
    expect(() => stripPng(jpeg)).toThrow(MetadataStripError);
    expect(() => stripPng(Buffer.alloc(0))).toThrow(MetadataStripError);
  });
});

// ---- WebP -------------------------------------------------------------------------------------

interface WebpChunk {
  type: string;
  /** Header, payload and padding byte. */
  bytes: Buffer;
}

function webpChunks(buf: Buffer): WebpChunk[] {
  const chunks: WebpChunk[] = [];
  for (let i = 12; i < buf.length; ) {
    const len = buf.readUInt32LE(i + 4);
    const end = i + 8 + len + (len & 1);
    chunks.push({ type: buf.toString('latin1', i, i + 4), bytes: buf.subarray(i, end) });
    i = end;
  }
  return chunks;
}

function webpChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'latin1');
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data, Buffer.alloc(data.length & 1)]);
}

function riff(chunks: readonly Buffer[]): Buffer {
  const body = Buffer.concat(chunks);
  const head = Buffer.from('RIFF\0\0\0\0WEBP', 'latin1');
  head.writeUInt32LE(body.length + 4, 4);
  return Buffer.concat([head, body]);
}

function vp8xFlags(buf: Buffer): number {
  const vp8x = webpChunks(buf).find((c) => c.type === 'VP8X');
  const flags = vp8x?.bytes[8];
  if (flags === undefined) throw new Error('no VP8X chunk');
  return flags;
}

describe('stripWebp', () => {
  const variants = {
    'lossy with alpha': (n: number) => pixels(n, 4).webp({ quality: 80 }),
    lossless: (n: number) => pixels(n, 3).webp({ lossless: true }),
  };

  describe.each(Object.entries(variants))('%s', (_name, encode) => {
    let input: Buffer;
    let out: Buffer;

    beforeAll(async () => {
      input = await encode(8).withExif(CAMERA_EXIF).withXmp(XMP).withIccProfile('p3').toBuffer();
      out = stripWebp(input);
    });

    it('starts from a WebP with EXIF and XMP chunks and their VP8X flags set', async () => {
      const meta = await sharp(input).metadata();
      expect(meta.format).toBe('webp');
      expect(meta.exif).toBeDefined();
      expect(meta.xmp).toBeDefined();
      expect(webpChunks(input).map((c) => c.type)).toEqual(expect.arrayContaining(['VP8X', 'ICCP', 'EXIF', 'XMP ']));
      expect(vp8xFlags(input) & 0x0c).toBe(0x0c);
      expectAllSecrets(input, SECRETS);
    });

    it('drops the EXIF and XMP chunks and clears their VP8X flags, keeping the others', async () => {
      const before = webpChunks(input);
      const after = webpChunks(out);
      expect(after.map((c) => c.type)).toEqual(before.map((c) => c.type).filter((t) => t !== 'EXIF' && t !== 'XMP '));
      expect(vp8xFlags(out)).toBe(vp8xFlags(input) & ~0x0c);
      expect(vp8xFlags(out) & 0x20).toBe(0x20); // ICC
      // every chunk but VP8X (whose flags changed) is copied byte for byte
      const kept = (cs: WebpChunk[]) => cs.filter((c) => c.type !== 'VP8X' && c.type !== 'EXIF' && c.type !== 'XMP ');
      const summary = (c: WebpChunk) => digest(c.type, c.bytes);
      expect(kept(after).map(summary)).toEqual(kept(before).map(summary));
      const meta = await sharp(out).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.icc?.equals((await sharp(input).metadata()).icc ?? Buffer.alloc(0))).toBe(true);
      expectNoSecrets(out);
    });

    it('writes a RIFF size equal to the file length minus 8', () => {
      expect(out.toString('latin1', 0, 4)).toBe('RIFF');
      expect(out.toString('latin1', 8, 12)).toBe('WEBP');
      expect(out.readUInt32LE(4)).toBe(out.length - 8);
      expect(out.length).toBeLessThan(input.length);
    });

    it('decodes to byte-identical pixels', async () => {
      await expectSamePixels(out, input);
    });

    it('leaves a WebP without metadata unchanged', async () => {
      const plain = await encode(9).toBuffer();
      expect(stripWebp(plain).equals(plain)).toBe(true);
    });
  });

  it('steps over padding of odd-length chunks and drops unknown chunks and trailing bytes', async () => {
    const plain = await pixels(10, 4).webp({ quality: 80 }).withIccProfile('p3').toBuffer();
    const [vp8x, ...rest] = webpChunks(plain).map((c) => c.bytes);
    if (!vp8x) throw new Error('no VP8X chunk');
    const flagged = Buffer.from(vp8x);
    flagged[8] = (flagged[8] ?? 0) | 0x0c;
    const padded = riff([
      flagged,
      webpChunk('XTRA', latin1('odd')),
      ...rest,
      webpChunk('EXIF', latin1('Exif\0\0DemoPhone')),
      webpChunk('XMP ', latin1(XMP)),
    ]);
    const input = Buffer.concat([padded, latin1('after the RIFF: Ivan Petrov')]);
    const out = stripWebp(input);
    expect(out.equals(plain)).toBe(true);
    await expectSamePixels(out, plain);
  });

  it('throws MetadataStripError on a truncated chunk or a non-WebP', async () => {
    const input = await pixels(11).webp().withExif(CAMERA_EXIF).toBuffer();
    expect(() => stripWebp(input.subarray(0, input.length - 10))).toThrow(MetadataStripError);
    const png = await pixels(11).png().toBuffer();
    expect(() => stripWebp(png)).toThrow(MetadataStripError);
    expect(() => stripWebp(latin1('RIFF\x04\0\0\0WAVE'))).toThrow(MetadataStripError);
  });
});

// ---- dispatch ---------------------------------------------------------------------------------

describe('stripMetadata', () => {
  it('strips each format with its own stripper', async () => {
    const inputs = {
      jpeg: await pixels(12).jpeg().withExif(CAMERA_EXIF).toBuffer(),
      png: await pixels(12).png().withExif(CAMERA_EXIF).toBuffer(),
      webp: await pixels(12).webp().withExif(CAMERA_EXIF).toBuffer(),
    };
    const strippers = { jpeg: stripJpeg, png: stripPng, webp: stripWebp };
    for (const [format, bytes] of Object.entries(inputs) as [keyof typeof inputs, Buffer][]) {
      expectAllSecrets(bytes, [CAMERA_EXIF.IFD0.Make]);
      const out = stripMetadata(format, bytes);
      expect(out.equals(strippers[format](bytes)), format).toBe(true);
      expect((await sharp(out).metadata()).exif, format).toBeUndefined();
      expectNoSecrets(out);
    }
  });

  it('throws MetadataStripError for a format it has no stripper for, or a mislabelled file', async () => {
    const gif = await pixels(13).gif().toBuffer();
    expect(() => stripMetadata('gif', gif)).toThrow(MetadataStripError);
    expect(() => stripMetadata('heif', gif)).toThrow(/no metadata stripper for heif/);
    const jpeg = await pixels(13).jpeg().toBuffer();
    expect(() => stripMetadata('png', jpeg)).toThrow(MetadataStripError);
  });
});

describe('stripJpeg: scans and what follows the image', () => {
  it('drops a second JPEG appended after EOI (preview or depth map) with its own EXIF and GPS', async () => {
    const main = await pixels(40).jpeg().toBuffer();
    const trailer = await pixels(41).jpeg().withExif(CAMERA_EXIF).toBuffer();
    const phone = Buffer.concat([main, trailer]);
    expect(phone.includes(Buffer.from(CAMERA_EXIF.IFD0.Artist))).toBe(true);
    const stripped = stripJpeg(phone);
    expect(stripped.equals(main)).toBe(true);
    for (const secret of SECRETS) expect(stripped.includes(Buffer.from(secret)), secret).toBe(false);
  });

  it('keeps every scan of a progressive JPEG and its pixels', async () => {
    const progressive = await pixels(42).jpeg({ progressive: true }).withExif(CAMERA_EXIF).toBuffer();
    const stripped = stripJpeg(progressive);
    expect((await sharp(stripped).metadata()).isProgressive).toBe(true);
    expect(stripped.includes(Buffer.from(CAMERA_EXIF.IFD0.Make))).toBe(false);
    const [a, b] = await Promise.all([sharp(progressive).raw().toBuffer(), sharp(stripped).raw().toBuffer()]);
    expect(b.equals(a)).toBe(true);
  });

  it('throws MetadataStripError when the scan data has no EOI', async () => {
    const jpeg = await pixels(43).jpeg().toBuffer();
    expect(() => stripJpeg(jpeg.subarray(0, jpeg.length - 2))).toThrow(MetadataStripError);
  });
});
