// A screenshot of an X display as PNG, taken the way a person's screenshot tool takes it: the
// screen's pixels (xwd), not a page drawn again by the browser engine. WebKitWebDriver's own
// screenshot never answers for some dialogs when WebKit draws through shared memory, which
// the app does (it saves ~90 MB); a user's tools read the screen and never meet that.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";

/** The screen of `display` (e.g. ":301") as a PNG file at `path`; only `rect` of it
 *  ({x, y, width, height}, as WebDriver tells a window's) when given. */
export function screenshot(display, path, rect) {
  const xwd = execFileSync("xwd", ["-root", "-silent", "-display", display], { maxBuffer: 64 << 20 });
  writeFileSync(path, png(decodeXwd(xwd, rect)));
}

/** Width, height and RGB rows of a true-colour ZPixmap XWD dump (24 or 32 bits a pixel), or
 *  of `rect` of it. */
function decodeXwd(data, rect) {
  // The header: 25 big-endian 32-bit fields (X11/XWDFile.h), the window name after it.
  const field = (i) => data.readUInt32BE(i * 4);
  const [headerSize, format, depth, width, height] = [field(0), field(2), field(3), field(4), field(5)];
  const [byteOrder, bitsPerPixel, bytesPerLine, colours] = [field(7), field(11), field(12), field(19)];
  const [redMask, greenMask, blueMask] = [field(14), field(15), field(16)];
  if (format !== 2 || ![24, 32].includes(bitsPerPixel) || depth < 24) {
    throw new Error(`xwd: a ${depth}-bit, ${bitsPerPixel} bpp format ${format} dump is not read here`);
  }
  const size = bitsPerPixel / 8;
  const pixels = headerSize + colours * 12; // after the colour map (ncolors entries of 12 bytes)
  const shift = (mask) => 31 - Math.clz32(mask & -mask);
  const left = Math.max(0, Math.min(width - 1, Math.round(rect?.x ?? 0)));
  const top = Math.max(0, Math.min(height - 1, Math.round(rect?.y ?? 0)));
  const [w, h] = [Math.min(width - left, Math.round(rect?.width ?? width)), Math.min(height - top, Math.round(rect?.height ?? height))];
  const rows = [];
  for (let y = top; y < top + h; y++) {
    const row = Buffer.alloc(1 + w * 3); // a filter byte (0: none), then RGB
    for (let x = 0; x < w; x++) {
      const at = pixels + y * bytesPerLine + (left + x) * size;
      const v = byteOrder === 0 ? data.readUIntLE(at, size) : data.readUIntBE(at, size);
      row[1 + x * 3] = (v & redMask) >>> shift(redMask);
      row[2 + x * 3] = (v & greenMask) >>> shift(greenMask);
      row[3 + x * 3] = (v & blueMask) >>> shift(blueMask);
    }
    rows.push(row);
  }
  return { width: w, height: h, rows };
}

function png({ width, height, rows }) {
  const chunk = (type, body) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, "ascii");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
    return Buffer.concat([head, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter set, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
