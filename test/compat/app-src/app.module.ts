import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TASKS_MIGRATIONS, TasksDashboardModule, TasksModule } from 'nestjs-tasks';
import { databaseOptions } from './database.js';
import { Greeter } from './greeter.tasks.js';
import { GreetingsController } from './greetings.controller.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({ ...databaseOptions(), autoLoadEntities: true, migrations: TASKS_MIGRATIONS, migrationsRun: true }),
    TasksModule.forRoot({ queues: ['default', 'greetings'] }),
    TasksDashboardModule.forRoot({ path: '/dashboard' }),
  ],
  controllers: [GreetingsController],
  providers: [Greeter],
})
export class AppModule {}
