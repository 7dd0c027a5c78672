/** RFC 9562 textual UUID, any case (PostgreSQL accepts both; it prints lowercase). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID: checked before a uuid column is queried, which would fail on anything else. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The nil UUID: a valid id that no row has, so a lookup or filter with it matches nothing. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
