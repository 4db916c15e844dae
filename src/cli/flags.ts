/** Numeric flag parsers shared by the commands: a bad value is one clear E_CLI_OPTION error. */
import { GlmError } from '../util/errors.js';

/** Parses a number (an integer with `int`), within [min, max] where given. */
export function num(flag: string, o: { int?: boolean; min?: number; max?: number } = {}) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || (o.int && !Number.isInteger(v)) || (o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max)) {
      const range = o.min !== undefined && o.max !== undefined ? ` in [${o.min}, ${o.max}]` : o.min !== undefined ? ` ≥ ${o.min}` : '';
      throw new GlmError('E_CLI_OPTION', `${flag} must be ${o.int ? 'an integer' : 'a number'}${range}, got ${JSON.stringify(raw)}`);
    }
    return v;
  };
}

/** A probability in [0, 1]. */
export const prob = (flag: string): ((raw: string) => number) => num(flag, { min: 0, max: 1 });
