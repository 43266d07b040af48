import { describeBusyPool } from './busy-pool';

describeBusyPool({ max: 2 });
