/**
 * A value survives `JSON.parse(JSON.stringify(value))` unchanged only if it is built from
 * null, booleans, finite numbers, strings, arrays without holes and plain objects, without cycles.
 * Everything else would be silently altered (a Date becomes a string, `undefined` disappears),
 * so tasks refuse it up front instead of running later with different arguments. Strings must
 * also be storable by every supported database: PostgreSQL's jsonb refuses NUL characters and
 * unpaired surrogates, MariaDB the latter, so both are refused on every database alike.
 */
export interface JsonMismatch {
  path: string;
  reason: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A mismatch found below the checked value: the keys leading to it, innermost first. */
interface Found {
  keys: (string | number)[];
  reason: string;
}

/** The ancestors of a value that is not an object: none, and never any added (only objects add themselves). */
const NO_ANCESTORS: ReadonlySet<object> = new Set();

export function findJsonMismatch(value: unknown, path: string): JsonMismatch | null {
  // A Set costs a no-op task returning a primitive more than the rest of its check.
  const found = check(value, typeof value === 'object' && value !== null ? new Set() : (NO_ANCESTORS as Set<object>));
  // The path is spelled out only for a mismatch: building it for every member checked cost as
  // much as the check itself.
  return found ? { path: found.keys.reduceRight<string>(child, path), reason: found.reason } : null;
}

function check(value: unknown, ancestors: Set<object>): Found | null {
  switch (typeof value) {
    case 'string': {
      const reason = unstorableString(value);
      return reason ? { keys: [], reason } : null;
    }
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : { keys: [], reason: `${value}, which JSON cannot hold (it becomes null)` };
    case 'undefined':
      return { keys: [], reason: 'undefined, which JSON drops (use null)' };
    case 'bigint':
      return { keys: [], reason: 'a BigInt, which JSON cannot hold (pass it as a string)' };
    case 'function':
      return { keys: [], reason: 'a function, which JSON cannot hold' };
    case 'symbol':
      return { keys: [], reason: 'a symbol, which JSON cannot hold' };
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.has(object)) return { keys: [], reason: 'a reference back to an enclosing value (a cycle), which JSON cannot hold' };
  if (Array.isArray(object)) {
    ancestors.add(object);
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) return { keys: [i], reason: 'a hole in an array, which JSON turns into null' };
      const found = check(object[i], ancestors);
      if (found) {
        found.keys.push(i);
        return found;
      }
    }
    ancestors.delete(object);
    return null;
  }
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    if (object instanceof Date) return { keys: [], reason: 'a Date, which JSON turns into a string (pass date.toISOString())' };
    const kind = proto?.constructor?.name ? `an instance of ${proto.constructor.name}` : 'an instance of a class';
    return { keys: [], reason: `${kind}, which JSON turns into a plain object (pass a plain object)` };
  }
  if (Object.getOwnPropertySymbols(object).length > 0) return { keys: [], reason: 'an object with symbol keys, which JSON drops' };
  ancestors.add(object);
  for (const key of Object.keys(object)) {
    const badKey = unstorableString(key);
    if (badKey) return { keys: [key], reason: `a key that ${badKey.replace(/^a string that /, '')}` };
    const found = check((object as Record<string, unknown>)[key], ancestors);
    if (found) {
      found.keys.push(key);
      return found;
    }
  }
  ancestors.delete(object);
  return null;
}

function unstorableString(value: string): string | null {
  if (value.includes('\u0000')) return 'a string that contains a NUL character (\\u0000), which databases cannot store in JSON';
  if (!value.isWellFormed()) return 'a string that contains an unpaired surrogate, which is not valid Unicode';
  return null;
}
