import { Injectable } from '@nestjs/common';
import { call, InvalidTaskError, Task, TaskCall, TaskResult, TaskService } from '../../src';
import { createTestApp } from '../support/test-app';

@Injectable()
class Mailer {
  readonly retries = 3;

  /** Not a task: TypeScript cannot tell, enqueue() refuses it at run time. */
  format(to: string): string {
    return to.trim();
  }
  @Task()
  async send(to: string, subject: string): Promise<{ messageId: string }> {
    return { messageId: `${to}:${subject}` };
  }

  @Task()
  async notify(userId: number, options: { urgent: boolean }): Promise<void> {
    void userId;
    void options;
  }
}

/**
 * Compile-time checks (`npm test` type-checks the tests first): arguments and return types flow
 * from the decorated method to enqueue and TaskResult<R> without casts.
 */
async function typedUsage(tasks: TaskService): Promise<void> {
  const result: TaskResult<{ messageId: string }> = await tasks.enqueue(Mailer, 'send', ['ann@example.com', 'Hi']);
  const value: { messageId: string } = await result.wait();
  const id: string = result.returnValue.messageId;
  await tasks.enqueue(Mailer, 'notify', [1], { kwargs: { urgent: true } });
  // call() is typed like enqueue(), and schedule() takes what it returns.
  const send: TaskCall<{ messageId: string }> = call(Mailer, 'send', ['ann@example.com', 'Hi']);
  await tasks.schedule('send', send, { cron: '0 8 * * *' });
  // @ts-expect-error wrong argument type
  call(Mailer, 'send', ['ann@example.com', 42]);
  // @ts-expect-error not a method of Mailer
  call(Mailer, 'missing', []);
  // @ts-expect-error wrong argument type
  await tasks.enqueue(Mailer, 'send', ['ann@example.com', 42]);
  // @ts-expect-error missing argument
  await tasks.enqueue(Mailer, 'send', ['ann@example.com']);
  // @ts-expect-error not a method of Mailer
  await tasks.enqueue(Mailer, 'missing', []);
  // @ts-expect-error a property that is not a method
  await tasks.enqueue(Mailer, 'retries', []);
  // Types cannot see decorators: a method without @Task() compiles, and enqueue() throws
  // InvalidTaskError naming it. Its arguments are still checked against its parameters.
  await tasks.enqueue(Mailer, 'format', ['ann@example.com']);
  // @ts-expect-error arguments of a method without @Task() are checked all the same
  await tasks.enqueue(Mailer, 'format', [42]);
  // @ts-expect-error kwargs must match the last parameter
  await tasks.enqueue(Mailer, 'notify', [1], { kwargs: { urgent: 'yes' } });
  const many: TaskResult<{ messageId: string }>[] = await tasks.enqueueMany(Mailer, 'send', [['a', 'b'], ['c', 'd']]);
  void [value, id, many];
}

describe('typing', () => {
  it('is checked by the compiler', () => {
    expect(typeof typedUsage).toBe('function');
  });

  it('refuses at run time a method that compiles but has no @Task()', async () => {
    const t = await createTestApp(null, [Mailer], { backend: 'dummy' });
    try {
      await expect(t.tasks.enqueue(Mailer, 'format', ['ann@example.com'])).rejects.toThrow(InvalidTaskError);
      await expect(t.tasks.enqueue(Mailer, 'format', ['ann@example.com'])).rejects.toThrow(/Mailer\.format is not a task: mark the method with @Task\(\)/);
    } finally {
      await t.close();
    }
  });
});
