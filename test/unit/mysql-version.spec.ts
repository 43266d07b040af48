import { unsupportedServer } from '../../src/dialects/mysql/mysql-version';

describe('MySQL/MariaDB minimum versions', () => {
  it.each(['8.0.1', '8.0.36', '8.4.3-log', '9.1.0', '10.6.0-MariaDB', '10.11.19-MariaDB-0+deb12u1', '11.4.2-MariaDB-ubu2404'])(
    'accepts %s', (version) => {
      expect(unsupportedServer(version)).toBeNull();
    });

  it.each([['5.7.44', 'MySQL 8.0.1'], ['8.0.0-dmr', 'MySQL 8.0.1'], ['10.5.27-MariaDB', 'MariaDB 10.6.0'], ['10.4.34-MariaDB-log', 'MariaDB 10.6.0']])(
    'refuses %s, naming the minimum', (version, minimum) => {
      expect(unsupportedServer(version)).toContain(`needs ${minimum} or later`);
      expect(unsupportedServer(version)).toContain(version);
    });
});
