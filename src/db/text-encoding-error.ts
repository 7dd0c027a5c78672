/**
 * PostgreSQL's refusals of text it cannot store: 22021 character_not_in_repertoire (U+0000 in text,
 * "invalid byte sequence for encoding UTF8: 0x00") and 22P05 untranslatable_character (U+0000 in
 * jsonb). The input's fault, never the server's: the edges refuse such text first, this is the net.
 */
const TEXT_ENCODING_CODES = new Set(['22021', '22P05']);

/** True for a query that failed on such text (TypeORM's QueryFailedError or the driver's own error). */
export function isTextEncodingError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  return TEXT_ENCODING_CODES.has(String(code)) || TEXT_ENCODING_CODES.has(String(driverError?.code));
}
