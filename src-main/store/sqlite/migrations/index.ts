// The central, ordered list of schema migrations. Append only: never edit a migration that has shipped.
import { casesAndImages } from './0001-cases-and-images';
import { auditsReviewsJobs } from './0002-audits-reviews-jobs';
import { auditLogAndSettings } from './0003-audit-log-and-settings';
import { fullTextSearch } from './0004-full-text-search';
import { queueIndexesAndBulkFts } from './0005-queue-indexes-and-bulk-fts';
import { verdictProfilesProvenance } from './0006-verdict-profiles-provenance';
import { teamReview } from './0007-team-review';
import { reviewAnalysisSourceAndAuditFailures } from './0008-review-analysis-source-and-audit-failures';
import { jobOwners } from './0009-job-owners';
import { referenceVerdicts } from './0010-reference-verdicts';
import { packReviewerStores } from './0011-pack-reviewer-stores';
import { stepLocalization } from './0012-step-localization';
import { goldAndExposure } from './0013-gold-and-exposure';
import { profileLevelsInReviews } from './0014-profile-levels-in-reviews';
import { probeJudgmentStop } from './0015-probe-judgment-stop';
import { trustedKeys } from './0016-trusted-keys';
import type { Migration } from './migration';

export type { Migration } from './migration';

export const MIGRATIONS: readonly Migration[] = [
  casesAndImages,
  auditsReviewsJobs,
  auditLogAndSettings,
  fullTextSearch,
  queueIndexesAndBulkFts,
  verdictProfilesProvenance,
  teamReview,
  reviewAnalysisSourceAndAuditFailures,
  jobOwners,
  referenceVerdicts,
  packReviewerStores,
  stepLocalization,
  goldAndExposure,
  profileLevelsInReviews,
  probeJudgmentStop,
  trustedKeys,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
