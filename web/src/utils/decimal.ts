/**
 * Exact arithmetic on the decimal strings the pricing API speaks ("0.35", "400.00004").
 * Money never passes through a JS number here: values are BigInt with a scale.
 * (Charts may convert to Number for plotting only, with `toPlotNumber`.)
 */

export interface Scaled {
  /** The digits as an integer: "12.340" → 12340n with scale 3. */
  value: bigint;
  scale: number;
}

const PLAIN = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** Plain decimal text (no exponent, no separators) → its exact value; null when malformed. */
export function toScaled(text: string): Scaled | null {
  const m = PLAIN.exec(text.trim());
  if (!m) return null;
  const [, sign = '', int = '', frac = ''] = m;
  const value = BigInt(int + frac);
  return { value: sign === '-' ? -value : value, scale: frac.length };
}

const pow10 = (n: number) => 10n ** BigInt(n);

function rescale(a: Scaled, scale: number): bigint {
  return a.value * pow10(scale - a.scale);
}

/** Text of a scaled value, with exactly `scale` decimals. */
export function fromScaled({ value, scale }: Scaled): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${int}${frac}`;
}

function need(text: string): Scaled {
  const scaled = toScaled(text);
  if (!scaled) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  return scaled;
}

/** -1, 0 or 1, exactly. Throws on malformed text. */
export function compareDecimal(a: string, b: string): number {
  const x = need(a);
  const y = need(b);
  const scale = Math.max(x.scale, y.scale);
  const d = rescale(x, scale) - rescale(y, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** a + b at the larger of their scales, e.g. "1000" + "0.0001" = "1000.0001". */
export function addDecimal(a: string, b: string): string {
  const x = need(a);
  const y = need(b);
  const scale = Math.max(x.scale, y.scale);
  return fromScaled({ value: rescale(x, scale) + rescale(y, scale), scale });
}

/** a − b at the larger of their scales, e.g. "2000.00" − "0.5" = "1999.50". */
export function subtractDecimal(a: string, b: string): string {
  const x = need(a);
  const y = need(b);
  const scale = Math.max(x.scale, y.scale);
  return fromScaled({ value: rescale(x, scale) - rescale(y, scale), scale });
}

/** a × b exactly, at the sum of their scales: "3" × "0.3350" = "1.0050". */
export function multiplyDecimal(a: string, b: string): string {
  const x = need(a);
  const y = need(b);
  return fromScaled({ value: x.value * y.value, scale: x.scale + y.scale });
}

/** Rounds half-up (四舍五入, away from zero at .5) to `places` decimals: "400.00004" → "400.00". */
export function roundHalfUp(text: string, places = 2): string {
  const x = need(text);
  if (x.scale <= places) return fromScaled({ value: rescale(x, places), scale: places });
  const divisor = pow10(x.scale - places);
  const negative = x.value < 0n;
  const magnitude = negative ? -x.value : x.value;
  let q = magnitude / divisor;
  if ((magnitude % divisor) * 2n >= divisor) q += 1n;
  return fromScaled({ value: negative && q !== 0n ? -q : q, scale: places });
}

/** Shortest form: "1000.00" → "1000", "0.5000" → "0.5", "+01.20" → "1.2". */
export function normalizeDecimal(text: string): string {
  const x = need(text);
  let { value, scale } = x;
  while (scale > 0 && value % 10n === 0n) {
    value /= 10n;
    scale -= 1;
  }
  return fromScaled({ value, scale });
}

/**
 * Money as people read it: thousands grouped, the decimals as given ("1234567.50" →
 * "1,234,567.50"). Text only, never a number; anything that is not a plain decimal
 * comes back unchanged.
 */
export function groupThousands(text: string): string {
  const m = /^([+-]?)(\d+)(\.\d+)?$/.exec(text.trim());
  if (!m) return text;
  const [, sign = '', int = '', frac = ''] = m;
  return `${sign}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac}`;
}

/** For charts only: never feed the result back into money. */
export function toPlotNumber(text: string): number {
  return Number(text);
}
