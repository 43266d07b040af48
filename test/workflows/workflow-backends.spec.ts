import { call, DummyBackend, InvalidTaskError, pipe, TASK_BACKEND, TaskResultStatus } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { FlowTasks } from '../fixtures/workflow-tasks';

const { WAITING, READY, SUCCESSFUL, CANCELLED } = TaskResultStatus;

describe('workflows on the test backends', () => {
  beforeEach(() => {
    FlowTasks.runs = [];
  });

  describe('immediate', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(null, [FlowTasks], { backend: 'immediate' });
    });
    afterAll(() => t.close());

    it('runs a chain, a chord and dependencies inside the call, in dependency order', async () => {
      const chain = await t.tasks.chain([call(FlowTasks, 'double', [2]), pipe(FlowTasks, 'inc', []), call(FlowTasks, 'mark', ['m'])]);
      expect(chain.results.map((r) => r.status)).toEqual([SUCCESSFUL, SUCCESSFUL, SUCCESSFUL]);
      expect(await chain.wait()).toBe('m');
      const chord = await t.tasks.group([call(FlowTasks, 'double', [1]), call(FlowTasks, 'double', [2])], { then: pipe(FlowTasks, 'sum', ['s']) });
      expect(chord.callback!.returnValue).toBe('s=6');
      expect(await chord.wait()).toEqual([2, 4]);
      const loaded = await t.tasks.getGroup(chord.id);
      expect(loaded.callback!.id).toBe(chord.callback!.id);
      const first = await t.tasks.enqueue(FlowTasks, 'mark', ['first']);
      const after = await t.tasks.enqueue(FlowTasks, 'inspect', [], { dependsOn: [first] });
      expect(after.returnValue).toEqual({ ids: [first.id], values: ['first'] });
      expect(FlowTasks.runs).toEqual(['double:2', 'inc:4', 'm', 'double:1', 'double:2', 'sum:2,4', 'first']);
    });

    it('cancels what depends on a failure, and refuses an unknown dependency', async () => {
      const chain = await t.tasks.chain([call(FlowTasks, 'fail', ['x']), pipe(FlowTasks, 'inc', [])]);
      expect(chain.results.map((r) => r.status)).toEqual([TaskResultStatus.FAILED, CANCELLED]);
      expect(chain.results[1].errors[0].name).toBe('DependencyFailedError');
      await expect(t.tasks.enqueue(FlowTasks, 'mark', ['x'], { dependsOn: ['01890a5d-ac96-774b-bcce-b302099a8057'] }))
        .rejects.toThrow(InvalidTaskError);
    });
  });

  describe('dummy', () => {
    let t: TestApp;
    let backend: DummyBackend;
    beforeAll(async () => {
      t = await createTestApp(null, [FlowTasks], { backend: 'dummy' });
      backend = t.app.get<DummyBackend>(TASK_BACKEND);
    });
    afterAll(() => t.close());

    it('records a workflow and runs nothing; cancelling cascades', async () => {
      const chord = await t.tasks.group([call(FlowTasks, 'double', [1])], { then: pipe(FlowTasks, 'sum', ['s']) });
      const chain = await t.tasks.chain([call(FlowTasks, 'double', [1]), pipe(FlowTasks, 'inc', [])]);
      expect(backend.results.map((r) => r.status)).toEqual([READY, WAITING, READY, WAITING]);
      expect(await chain.results[1].dependencyIds()).toEqual([chain.results[0].id]);
      await t.tasks.cancel(chord.results[0].id);
      expect((await chord.refresh()).callback!.status).toBe(CANCELLED);
      expect(FlowTasks.runs).toEqual([]);
    });
  });
});
