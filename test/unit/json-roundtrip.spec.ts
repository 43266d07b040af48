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

  it('says what is wrong with the value in one sentence', () => {
    const message = (args: unknown[]) => {
      try {
        encodeTaskPayload('Mailer.send', args, undefined, 10_000);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(message(['ann', { when: new Date(0) }])).toBe(
      'Arguments of Mailer.send do not survive JSON: args[1].when is a Date, which JSON turns into a string (pass date.toISOString()).',
    );
    expect(message([undefined])).toBe('Arguments of Mailer.send do not survive JSON: args[0] is undefined, which JSON drops (use null).');
    expect(message([NaN])).toBe('Arguments of Mailer.send do not survive JSON: args[0] is NaN, which JSON cannot hold (it becomes null).');
    expect(message([new (class Point { x = 1 })()])).toBe(
      'Arguments of Mailer.send do not survive JSON: args[0] is an instance of Point, which JSON turns into a plain object (pass a plain object).',
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(message([cyclic])).toBe(
      'Arguments of Mailer.send do not survive JSON: args[0].self is a reference back to an enclosing value (a cycle), which JSON cannot hold.',
    );
    for (const text of [message([1n]), message([() => 1]), message([[, 1]]), message([{ [Symbol('s')]: 1 }])]) {
      expect(text).not.toMatch(/ is (a|an|undefined|NaN)\b.* is not /);
    }
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
