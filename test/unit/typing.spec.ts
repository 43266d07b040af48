import { Injectable } from '@nestjs/common';
import { Task, TaskResult, TaskService } from '../../src';

@Injectable()
class Mailer {
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
  // @ts-expect-error wrong argument type
  await tasks.enqueue(Mailer, 'send', ['ann@example.com', 42]);
  // @ts-expect-error missing argument
  await tasks.enqueue(Mailer, 'send', ['ann@example.com']);
  // @ts-expect-error not a method of Mailer
  await tasks.enqueue(Mailer, 'missing', []);
  // @ts-expect-error kwargs must match the last parameter
  await tasks.enqueue(Mailer, 'notify', [1], { kwargs: { urgent: 'yes' } });
  const many: TaskResult<{ messageId: string }>[] = await tasks.enqueueMany(Mailer, 'send', [['a', 'b'], ['c', 'd']]);
  void [value, id, many];
}

describe('typing', () => {
  it('is checked by the compiler', () => {
    expect(typeof typedUsage).toBe('function');
  });
});
