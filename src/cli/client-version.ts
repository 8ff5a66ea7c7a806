/** vela-ts's own version, as `--version` and `vela-ts version` print it; package.json's (a test holds them equal). */
export const CLIENT_VERSION = '0.1.0';
