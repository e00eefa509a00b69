// Colour labels, as in Qubes OS: a preset per trust level, any HEX beside them, text that
// stays readable on every fill, and a second cue (the label's letter) for colour-blind users.

export interface Label {
  name: string;
  hex: string;
  /** Shown on the card beside the colour, so the label never rests on hue alone. */
  letter: string;
}

export const LABELS: readonly Label[] = [
  { name: "red", hex: "#cc0000", letter: "R" },
  { name: "orange", hex: "#f57900", letter: "O" },
  { name: "yellow", hex: "#edd400", letter: "Y" },
  { name: "green", hex: "#73d216", letter: "G" },
  { name: "gray", hex: "#555753", letter: "A" },
  { name: "blue", hex: "#3465a4", letter: "B" },
  { name: "purple", hex: "#75507b", letter: "P" },
  { name: "black", hex: "#000000", letter: "K" },
];

/** A container without a colour is shown in gray. */
export const DEFAULT_COLOR = "#555753";

/** `#rgb`, `rgb`, `#rrggbb` or `rrggbb` → `#rrggbb` (lowercase); null when it is not HEX. */
export function normalizeHex(value: string): string | null {
  const hex = value.trim().replace(/^#/, "").toLowerCase();
  if (/^[0-9a-f]{6}$/.test(hex)) return `#${hex}`;
  if (/^[0-9a-f]{3}$/.test(hex)) return `#${[...hex].map((c) => c + c).join("")}`;
  return null;
}

function channels(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** WCAG relative luminance of an sRGB colour. */
export function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever reads better on `fill`. */
export function textOn(fill: string): "#000000" | "#ffffff" {
  return contrast(fill, "#000000") >= contrast(fill, "#ffffff") ? "#000000" : "#ffffff";
}

/** The preset a colour is (or is nearest to), for its letter and name. */
export function labelOf(color: string | null): Label {
  const hex = normalizeHex(color ?? "") ?? DEFAULT_COLOR;
  const [r, g, b] = channels(hex);
  let best = LABELS[0];
  let bestDistance = Infinity;
  for (const label of LABELS) {
    const [lr, lg, lb] = channels(label.hex);
    const distance = (r - lr) ** 2 + (g - lg) ** 2 + (b - lb) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [label, distance];
  }
  return best;
}
