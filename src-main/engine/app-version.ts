// The app's version, recorded with every verdict (provenance). Read from package.json at build time.
import packageJson from '../../package.json';

export const APP_VERSION: string = packageJson.version;
