import { findJsonMismatch } from '../../src/serialization/json-roundtrip';
import { encodeReturnValue, encodeTaskPayload } from '../../src/serialization/task-payload';
import { InvalidTaskArgumentsError, InvalidTaskReturnValueError, TaskPayloadTooLargeError } from '../../src';

describe('JSON round trip', () => {
  it('accepts what JSON gives back unchanged', () => {
    for (const value of [null, true, 0, -1.5, 'text', '', [], {}, [1, 'a', null, { b: [true] }], Object.create(null)]) {
      expect(findJsonMismatch(value, 'x')).toBeNull();
    }
    // Shared (non-cyclic) references are fine.
    const shared = { a: 1 };
    expect(findJsonMismatch([shared, shared], 'x')).toBeNull();
  });

  it('names the first offending path', () => {
    expect(findJsonMismatch({ a: { b: [1, undefined] } }, 'args')).toEqual({ path: 'args.a.b[1]', reason: expect.stringContaining('undefined') });
    expect(findJsonMismatch({ [Symbol('s')]: 1 }, 'args')?.reason).toContain('symbol');
    expect(findJsonMismatch(new (class Point { x = 1 })(), 'args')?.reason).toContain('Point');
    expect(findJsonMismatch(new Date(), 'args')?.reason).toContain('Date');
    expect(findJsonMismatch(['a\u0000b'], 'args')).toEqual({ path: 'args[0]', reason: expect.stringContaining('NUL') });
    expect(findJsonMismatch({ x: 'broken \ud800' }, 'args')).toEqual({ path: 'args.x', reason: expect.stringContaining('unpaired surrogate') });
    expect(findJsonMismatch({ 'k\u0000': 1 }, 'args')?.reason).toContain('key');
    expect(findJsonMismatch(['emoji 😀 is fine'], 'args')).toBeNull();
  });

  it('encodes args once and enforces the size limit', () => {
    expect(encodeTaskPayload('t', [1, { a: 'b' }], undefined, 100)).toEqual({ args: '[1,{"a":"b"}]', kwargs: '{}' });
    expect(encodeTaskPayload('t', [], { x: 1 }, 100)).toEqual({ args: '[]', kwargs: '{"x":1}' });
    expect(() => encodeTaskPayload('t', 'nope' as never, undefined, 100)).toThrow(InvalidTaskArgumentsError);
    expect(() => encodeTaskPayload('t', [], [] as never, 100)).toThrow(/kwargs/);
    expect(() => encodeTaskPayload('t', ['é'.repeat(60)], undefined, 100)).toThrow(TaskPayloadTooLargeError);
  });

  it('stores undefined returns as null and refuses values JSON would change', () => {
    expect(encodeReturnValue('t', undefined)).toBe('null');
    expect(encodeReturnValue('t', { ok: true })).toBe('{"ok":true}');
    expect(() => encodeReturnValue('t', { at: new Date() })).toThrow(InvalidTaskReturnValueError);
    expect(() => encodeReturnValue('t', { at: new Date() })).toThrow('returnValue.at');
  });
});
