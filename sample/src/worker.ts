import 'reflect-metadata';
import { runWorker } from 'nestjs-tasks';
import { AppModule } from './app.module';

// `nest start worker` runs this file; flags after `--` reach the worker, e.g.
// `nest start worker -- --concurrency 4` or `nest start worker -- --batch`.
void runWorker(AppModule);
