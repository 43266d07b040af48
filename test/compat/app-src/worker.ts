import { runWorker } from 'nestjs-tasks';
import { AppModule } from './app.module.js';

void runWorker(AppModule);
