import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TaskResult, TaskService } from 'nestjs-tasks';
import { Greeter } from './greeter.tasks.js';

@Controller('greetings')
export class GreetingsController {
  constructor(
    private readonly tasks: TaskService,
    @InjectRepository(TaskResult) private readonly results: Repository<TaskResult>,
  ) {}

  @Post()
  @HttpCode(202)
  async enqueue(@Body() body: { name: string }): Promise<{ id: string; status: string }> {
    const result = await this.tasks.enqueue(Greeter, 'greet', [String(body.name)]);
    return { id: result.id, status: result.status };
  }

  /** Read through the application's own repository, as an application would. */
  @Get(':id')
  async show(@Param('id') id: string): Promise<{ id: string; status: string; returnValue: unknown }> {
    const result = await this.results.findOneBy({ id });
    if (!result) throw new NotFoundException(`No task ${id}.`);
    return { id: result.id, status: result.status, returnValue: result.isFinished ? result.storedReturnValue : null };
  }
}
