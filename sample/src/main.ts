import 'reflect-metadata';
import { INestApplication, Logger } from '@nestjs/common';
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

const logger = new Logger('Sample');

/** Starts the HTTP API; `nest start` runs this file. */
export async function bootstrap(options: BootstrapOptions = {}): Promise<INestApplication> {
  const { worker = process.env.DEMO_WORKER === '1', port = Number(process.env.PORT ?? 3000) } = options;
  const app = await NestFactory.create(AppModule);
  stopOnSignals(app);
  await app.listen(port);

  const url = `http://localhost:${port}`;
  process.stdout.write([
    '',
    `Sample API on ${url} (${describeDatabase(app.get(DataSource).options)})`,
    `Dashboard on ${url}/dashboard`,
    worker
      ? 'A worker runs inside this process. Stop both with Ctrl-C.'
      : 'Tasks stay READY until a worker runs: start one with `nest start worker` (npm run start:worker).',
    '',
    'Try:',
    `  curl -s -X POST ${url}/reports -H 'Content-Type: application/json' -d '{"name":"Q3 sales","rows":1000}'`,
    `  curl -s ${url}/tasks/<id from the answer>`,
    '',
  ].join('\n') + '\n');

  if (worker) {
    // run() resolves once the worker has stopped; stopOnSignals() stops it.
    app.get(TaskWorker).run().catch((error: Error) => logger.error(`The in-process worker failed: ${error.stack ?? error}`));
  }
  return app;
}

/**
 * SIGINT/SIGTERM: stop the in-process worker first (no new tasks; running ones get up to the
 * worker's shutdown timeout to finish and record their outcome), then close the application.
 * A second signal exits at once; tasks still running are rescued when their leases expire.
 */
function stopOnSignals(app: INestApplication): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(1);
    logger.log(`${signal} received: letting running tasks finish, then closing.`);
    app.get(TaskWorker).stop()
      .then(() => app.close())
      .then(() => process.exit(0), (error: Error) => {
        logger.error(`Shutdown failed: ${error.stack ?? error}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

if (require.main === module) {
  void bootstrap();
}
