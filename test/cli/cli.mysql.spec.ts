import { describeCommandLine } from './cli-light';

// MySQL has no push: the worker finds the retried tasks at its next poll.
describeCommandLine(200);
