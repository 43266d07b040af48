import { describeBusyPool } from './busy-pool';

describeBusyPool({ connectionLimit: 2 });
