/** What mysql2's quoting escapes with a backslash: each such character costs one more byte. */
const ESCAPED = /[\0\b\t\n\r\x1a"'\\]/g;

/**
 * The bytes `text` takes inside a statement, quoted as mysql2 quotes parameters. JSON text that
 * is mostly quotes or backslashes (each already escaped once by JSON) nearly doubles again here,
 * which is what a statement has to fit into the server's `max_allowed_packet`.
 */
export function quotedBytes(text: string): number {
  return Buffer.byteLength(text) + (text.match(ESCAPED)?.length ?? 0) + 2;
}
