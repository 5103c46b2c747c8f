// `convoy predict` reads PNG and JPEG files (pngjs, jpeg-js: pure JavaScript, no native build) and
// turns each into one model input: [C, H, W] in C, H, W order, 0-255 like the training images,
// gray (the mean of R, G, B) for one channel, resized by bilinear interpolation.
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

interface Rgba {
  width: number;
  height: number;
  /** RGBA bytes, row by row. */
  data: Uint8Array;
}

export class ImageError extends Error {}

function decode(file: string): Rgba {
  const bytes = readFileSync(file);
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: png.data };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new ImageError(`${file}: not a PNG or JPEG file`);
}

/** The channel value of pixel (x, y): channel c of RGBA, or gray for c = -1. */
function at(img: Rgba, x: number, y: number, c: number): number {
  const i = (y * img.width + x) * 4;
  const d = img.data;
  return c < 0 ? (d[i]! + d[i + 1]! + d[i + 2]!) / 3 : d[i + c]!;
}

/** The file as a flat model input of `shape` ([channels, height, width]; 1 = gray, 3 = RGB). */
export function imageInput(file: string, shape: readonly [number, number, number]): number[] {
  const [channels, height, width] = shape;
  if (channels !== 1 && channels !== 3) throw new ImageError(`the model takes ${channels} channels; images give 1 (gray) or 3 (RGB)`);
  const img = decode(file);
  const out: number[] = [];
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      // bilinear: sample at the output pixel's centre, mapped into the source image
      const sy = Math.min(img.height - 1, Math.max(0, ((y + 0.5) * img.height) / height - 0.5));
      const y0 = Math.floor(sy);
      const y1 = Math.min(img.height - 1, y0 + 1);
      for (let x = 0; x < width; x++) {
        const sx = Math.min(img.width - 1, Math.max(0, ((x + 0.5) * img.width) / width - 0.5));
        const x0 = Math.floor(sx);
        const x1 = Math.min(img.width - 1, x0 + 1);
        const ch = channels === 1 ? -1 : c;
        const top = at(img, x0, y0, ch) * (1 - (sx - x0)) + at(img, x1, y0, ch) * (sx - x0);
        const bottom = at(img, x0, y1, ch) * (1 - (sx - x0)) + at(img, x1, y1, ch) * (sx - x0);
        out.push(Math.round(top * (1 - (sy - y0)) + bottom * (sy - y0)));
      }
    }
  }
  return out;
}
