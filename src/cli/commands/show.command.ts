import type { CliCommand } from '../cli-command';

/** `show ID`: every field of a task, with its dependencies and dependents. */
export const showCommand: CliCommand = {
  usage: 'show <id>',
  description: 'show every field of a task, its errors, dependencies and dependents',
  async run({ tasks }, [id]) {
    const result = await tasks.getResult(id);
    const [dependencyIds, dependentIds] = await Promise.all([result.dependencyIds(), result.dependentIds()]);
    const json = { ...result.toJSON(), dependencyIds, dependentIds };
    const lines = Object.entries(json)
      .filter(([key]) => key !== 'errors')
      .map(([key, value]) => `${key.padEnd(16)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    for (const error of result.errors) {
      lines.push('', `attempt ${error.attempt} failed at ${error.failedAt}: ${error.name}: ${error.message}`, error.traceback);
    }
    return { json, text: lines.join('\n') };
  },
};
