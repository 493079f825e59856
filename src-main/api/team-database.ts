// Team-database administration for the CLI (`guardtrace team init`, `guardtrace team add-user`) and, later, the
// settings screen's "Test connection": re-exported from store/open-store (store/postgres/admin.ts) for the layers above api/.
export { DATABASE_URL_ENV, isPostgresUrl, storeUrlFrom, teamAddUser, teamInit, teamWhoAmI } from '../store/open-store';
