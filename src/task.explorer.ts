import { Injectable, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { TASK_METADATA } from './tasks.constants';
import { TaskOptions } from './interfaces/task-options.interface';
import { TaskRegistry } from './task.registry';

/** Walks the application's providers once at start-up and registers every `@Task()` method. */
@Injectable()
export class TaskExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly registry: TaskRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance } = wrapper;
      // Request-scoped and not-yet-resolved providers have no single instance a worker could call.
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const options = this.reflector.get<TaskOptions | undefined>(TASK_METADATA, prototype[methodName]);
        if (options) {
          this.registry.register(instance.constructor as Type<unknown>, methodName, instance, options);
        }
      }
    }
  }
}
