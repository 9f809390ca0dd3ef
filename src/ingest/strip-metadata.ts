// Removes embedded metadata (EXIF with GPS, XMP, IPTC, comments, text chunks) from JPEG, PNG and
// WebP files by dropping the segments or chunks that carry it. The compressed image data is copied
// byte for byte: originals are stored as received, never recompressed.
// Each format keeps an allow-list of what is needed to render the image faithfully (including
// the ICC colour profile); everything else, known or private, is dropped.

export class MetadataStripError extends Error {
  override name = 'MetadataStripError';
}

/** JPEG APPn segments kept: APP0 (JFIF), APP2 only if ICC_PROFILE, APP14 (Adobe colour transform). */
function keepJpegSegment(marker: number, payload: Uint8Array): boolean {
  if (marker === 0xfe) return false; // COM
  if (marker < 0xe0 || marker > 0xef) return true; // not an APPn: tables, frame headers…
  if (marker === 0xe0) return startsWith(payload, 'JFIF\0') || startsWith(payload, 'JFXX\0');
  if (marker === 0xe2) return startsWith(payload, 'ICC_PROFILE\0');
  if (marker === 0xee) return startsWith(payload, 'Adobe');
  return false; // APP1 Exif/XMP, APP13 IPTC/Photoshop, maker notes…
}

function startsWith(bytes: Uint8Array, ascii: string): boolean {
  if (bytes.length < ascii.length) return false;
  for (let i = 0; i < ascii.length; i++) if (bytes[i] !== ascii.charCodeAt(i)) return false;
  return true;
}

export function stripJpeg(input: Uint8Array): Buffer {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf[0] !== 0xff || buf[1] !== 0xd8) throw new MetadataStripError('not a JPEG stream');
  const out: Buffer[] = [buf.subarray(0, 2)];
  let i = 2;
  while (i < buf.length) {
    if (buf[i] !== 0xff) throw new MetadataStripError(`JPEG marker expected at byte ${i}`);
    let m = i + 1;
    while (m < buf.length && buf[m] === 0xff) m++; // fill bytes
    const marker = buf[m];
    if (marker === undefined) throw new MetadataStripError('JPEG ends inside a marker');
    const start = m + 1;
    if (marker === 0xd9) {
      out.push(buf.subarray(m - 1, start));
      return Buffer.concat(out);
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      out.push(buf.subarray(m - 1, start));
      i = start;
      continue;
    }
    if (start + 2 > buf.length) throw new MetadataStripError('JPEG segment length is truncated');
    const len = buf.readUInt16BE(start);
    const end = start + len;
    if (len < 2 || end > buf.length) throw new MetadataStripError('JPEG segment runs past the end of the file');
    if (marker === 0xda) {
      // start of scan: copy the header and the entropy-coded data up to the next real marker
      // (0xFF00 is a stuffed byte, 0xFFD0–D7 restart markers). A progressive JPEG goes on with
      // more tables and scans; EOI ends the image and whatever follows it (phones append whole
      // preview or depth-map JPEGs with their own EXIF there) is dropped.
      // (indexOf jumps from 0xFF to 0xFF natively: a byte-by-byte loop was most of the strip's time)
      let j = buf.indexOf(0xff, end);
      while (j !== -1 && j + 1 < buf.length) {
        const next = buf[j + 1] ?? 0;
        if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) break;
        j = buf.indexOf(0xff, j + 1);
      }
      if (j === -1 || j + 1 >= buf.length)
        throw new MetadataStripError('JPEG scan data runs to the end of the file without EOI');
      out.push(buf.subarray(m - 1, j));
      i = j;
      continue;
    }
    if (keepJpegSegment(marker, buf.subarray(start + 2, end))) out.push(buf.subarray(m - 1, end));
    i = end;
  }
  throw new MetadataStripError('JPEG has no image data');
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_KEEP = new Set([
  'IHDR',
  'PLTE',
  'IDAT',
  'IEND',
  'tRNS',
  'cHRM',
  'gAMA',
  'iCCP',
  'sBIT',
  'sRGB',
  'bKGD',
  'pHYs',
  'cICP',
  'mDCv',
  'cLLi',
  'acTL',
  'fcTL',
  'fdAT',
]);

export function stripPng(input: Uint8Array): Buffer {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (!buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new MetadataStripError('not a PNG stream');
  const out: Buffer[] = [PNG_SIGNATURE];
  let i = 8;
  while (i + 12 <= buf.length) {
    const len = buf.readUInt32BE(i);
    const type = buf.toString('latin1', i + 4, i + 8);
    const end = i + 12 + len;
    if (end > buf.length) throw new MetadataStripError(`PNG chunk ${type} runs past the end of the file`);
    if (PNG_KEEP.has(type)) out.push(buf.subarray(i, end));
    i = end;
    if (type === 'IEND') return Buffer.concat(out);
  }
  throw new MetadataStripError('PNG has no IEND chunk');
}

const WEBP_KEEP = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

export function stripWebp(input: Uint8Array): Buffer {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WEBP') {
    throw new MetadataStripError('not a WebP stream');
  }
  const riffEnd = Math.min(buf.length, 8 + buf.readUInt32LE(4));
  const chunks: Buffer[] = [];
  let i = 12;
  while (i + 8 <= riffEnd) {
    const type = buf.toString('latin1', i, i + 4);
    const len = buf.readUInt32LE(i + 4);
    const end = i + 8 + len + (len & 1);
    if (i + 8 + len > riffEnd) throw new MetadataStripError(`WebP chunk ${type} runs past the end of the file`);
    if (WEBP_KEEP.has(type)) {
      const chunk = Buffer.from(buf.subarray(i, Math.min(end, riffEnd)));
      if (type === 'VP8X') chunk[8] = (chunk[8] ?? 0) & ~(VP8X_EXIF | VP8X_XMP);
      chunks.push(chunk);
    }
    i = end;
  }
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length + 4, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, body]);
}

/** Strips a file whose container sharp identified as `format`. */
export function stripMetadata(format: string, bytes: Uint8Array): Buffer {
  switch (format) {
    case 'jpeg':
      return stripJpeg(bytes);
    case 'png':
      return stripPng(bytes);
    case 'webp':
      return stripWebp(bytes);
    default:
      throw new MetadataStripError(`no metadata stripper for ${format}`);
  }
}
