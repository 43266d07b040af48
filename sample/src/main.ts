import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TaskWorker } from 'nestjs-tasks';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { describeDatabase } from './database.config';

export interface BootstrapOptions {
  /** Also run a worker inside the API process (what `npm run demo` does). Default: `DEMO_WORKER=1`. */
  worker?: boolean;
  /** Default: `PORT`, else 3000. */
  port?: number;
}

/** Starts the HTTP API; `nest start` runs this file. */
export async function bootstrap(options: BootstrapOptions = {}): Promise<void> {
  const { worker = process.env.DEMO_WORKER === '1', port = Number(process.env.PORT ?? 3000) } = options;
  const app = await NestFactory.create(AppModule);
  // SIGINT/SIGTERM close the application: TaskWorker stops claiming and lets running tasks finish.
  app.enableShutdownHooks();
  await app.listen(port);

  const url = `http://localhost:${port}`;
  const lines = [
    '',
    `Sample API on ${url} (${describeDatabase(app.get(DataSource).options)})`,
    worker
      ? 'A worker runs inside this process. Stop both with Ctrl-C.'
      : 'Tasks stay READY until a worker runs: start one with `nest start worker` (npm run start:worker).',
    '',
    'Try:',
    `  curl -s -X POST ${url}/reports -H 'Content-Type: application/json' -d '{"name":"Q3 sales","rows":1000}'`,
    `  curl -s ${url}/tasks/<id from the answer>`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  if (worker) {
    // run() resolves when the worker stops, which app.close() (a signal) makes it do.
    app.get(TaskWorker).run().catch((error: Error) => {
      new Logger('Demo').error(`The in-process worker stopped: ${error.stack ?? error}`);
    });
  }
}

if (require.main === module) {
  void bootstrap();
}
