export interface Migration {
  /** Becomes PRAGMA user_version once applied; versions are consecutive from 1. */
  version: number;
  name: string;
  /** SQL run inside one transaction together with the user_version bump. */
  up: string;
}
