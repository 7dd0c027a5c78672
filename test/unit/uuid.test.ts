import { isUuid, NIL_UUID } from '../../src/lib/uuid';
import { decodeId, filterId, parseGlobalId, toGlobalId } from '../../src/graphql/relay/global-id';

describe('isUuid', () => {
  it.each(['0f8fad5b-d9cb-469f-a165-70867728950e', '0F8FAD5B-D9CB-469F-A165-70867728950E', NIL_UUID])('accepts %s', (value) => {
    expect(isUuid(value)).toBe(true);
  });

  it.each([
    '',
    '0f8fad5bd9cb469fa16570867728950e',
    '0f8fad5b-d9cb-469f-a165-70867728950',
    '0f8fad5b-d9cb-469f-a165-70867728950e0',
    'gf8fad5b-d9cb-469f-a165-70867728950e',
    ' 0f8fad5b-d9cb-469f-a165-70867728950e',
    '0f8fad5b-d9cb-469f-a165-70867728950e\n',
  ])('refuses %j', (value) => {
    expect(isUuid(value)).toBe(false);
  });
});

describe('global IDs', () => {
  const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';

  it('round-trips, and reads an upper-case uuid as the lower-case id PostgreSQL prints', () => {
    expect(parseGlobalId(toGlobalId('Client', uuid))).toEqual({ type: 'Client', id: uuid });
    expect(decodeId(toGlobalId('Client', uuid.toUpperCase()), 'Client')).toBe(uuid);
  });

  it('gives no id for another type, a non-uuid or a malformed ID', () => {
    expect(decodeId(toGlobalId('Client', uuid), 'User')).toBeNull();
    expect(decodeId(Buffer.from('Client:42').toString('base64url'), 'Client')).toBeNull();
    expect(decodeId('not base64!', 'Client')).toBeNull();
  });

  it('turns a filter naming no object of the type into an id that matches nothing', () => {
    expect(filterId(undefined, 'Client')).toBeUndefined();
    expect(filterId(null, 'Client')).toBeUndefined();
    expect(filterId(toGlobalId('Client', uuid), 'Client')).toBe(uuid);
    expect(filterId(toGlobalId('User', uuid), 'Client')).toBe(NIL_UUID);
  });
});
