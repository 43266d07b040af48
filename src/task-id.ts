import { randomFillSync } from 'crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Random bytes drawn in bulk: one system call per 512 ids instead of one per 16. */
const pool = new Uint8Array(512 * 10);
let poolAt = pool.length;
/** The last id's millisecond and its 42-bit counter (rand_a and the top of rand_b), RFC 9562 method 1. */
let lastMs = -Infinity;
let counterHigh = 0;
let counterLow = 0;

function random10(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 10;
  return at;
}

/**
 * UUIDv7: time-ordered, so new rows land at the end of the primary key index. Ids made in this
 * process increase strictly, within one millisecond too (a counter seeded at random each
 * millisecond), so the rows of one batch keep their order by id.
 */
export function newTaskId(): string {
  const at = random10();
  let ms = Date.now();
  if (ms > lastMs) {
    // 42-bit counter: 12 bits (rand_a) and 30 bits (rand_b's top), the highest bit left clear for room to count.
    counterHigh = ((pool[at] << 4) | (pool[at + 1] >> 4)) & 0x7ff;
    counterLow = ((pool[at + 2] << 22) | (pool[at + 3] << 14) | (pool[at + 4] << 6) | (pool[at + 5] >> 2)) >>> 0;
    lastMs = ms;
  } else {
    ms = lastMs;
    counterLow = (counterLow + 1) & 0x3fffffff;
    if (counterLow === 0) {
      counterHigh = (counterHigh + 1) & 0xfff;
      if (counterHigh === 0) ms = ++lastMs;
    }
  }
  const high = Math.floor(ms / 0x10000);
  const low = ms & 0xffff;
  return HEX[(high >>> 24) & 0xff] + HEX[(high >>> 16) & 0xff] + HEX[(high >>> 8) & 0xff] + HEX[high & 0xff] + '-' +
    HEX[low >>> 8] + HEX[low & 0xff] + '-' +
    HEX[0x70 | (counterHigh >>> 8)] + HEX[counterHigh & 0xff] + '-' +
    HEX[0x80 | (counterLow >>> 24)] + HEX[(counterLow >>> 16) & 0xff] + '-' +
    HEX[(counterLow >>> 8) & 0xff] + HEX[counterLow & 0xff] +
    HEX[pool[at + 6]] + HEX[pool[at + 7]] + HEX[pool[at + 8]] + HEX[pool[at + 9]];
}

/** What could be a task id: anything else is not looked up at all. */
export function isTaskId(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}
