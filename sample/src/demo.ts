import { bootstrap } from './main';

// `npm run demo`: the API with a worker in the same process, on the SQLite file by default.
void bootstrap({ worker: true });
