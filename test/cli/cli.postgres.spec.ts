import { describeCommandLine } from './cli-light';

// A minute between polls: only the NOTIFY of the retry wakes the worker in time.
describeCommandLine(60_000);
