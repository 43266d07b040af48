import { Injectable } from '@nestjs/common';
import { Task, TaskService } from 'nestjs-tasks';

@Injectable()
export class Greeter {
  constructor(private readonly tasks: TaskService) {}

  /** On a queue of its own, so a worker started without flags must serve the declared queues. */
  @Task({ queueName: 'greetings', maxAttempts: 2 })
  async greet(name: string): Promise<{ greeting: string; workerId: string }> {
    return { greeting: `Hello, ${name}`, workerId: this.tasks.context().workerId };
  }
}
