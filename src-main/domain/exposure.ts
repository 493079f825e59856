// Care for moderators (docs/quality.md): how much harmful material a moderator has been shown, the lead's limits,
// and breaks. The counts stay on this workstation: no channel, export, pack or decisions file carries them.

export const EXPOSURE_KINDS = ['image_revealed', 'harmful_judged', 'break_started', 'break_taken'] as const;
export type ExposureKind = (typeof EXPOSURE_KINDS)[number];

/** Limits a lead sets (Settings.exposureLimits), counted since the moderator's last break. */
export interface ExposureLimits {
  /** Images revealed after which a break is suggested. */
  softImages: number;
  /** Images revealed after which every image stays blurred until a break has been taken. */
  hardImages: number;
  /** Cases judged harmful (0.5 or 1) after which a break is suggested. */
  softHarmful: number;
  /** Cases judged harmful after which every image stays blurred until a break has been taken. */
  hardHarmful: number;
  /** The shortest break that counts, in minutes. */
  breakMinutes: number;
  /** Minutes of continuous work after which a break is suggested, whatever the counts. */
  softMinutes: number;
}

/** See docs/quality.md, "Wellness defaults", for where these come from. */
export const DEFAULT_EXPOSURE_LIMITS: ExposureLimits = {
  softImages: 40,
  hardImages: 80,
  softHarmful: 60,
  hardHarmful: 120,
  breakMinutes: 10,
  softMinutes: 60,
};

/** How a moderator wants images shown (Settings.imageDisplay); blur and grayscale are Settings.blurImages/grayscaleImages. */
export const BLUR_STRENGTHS = ['light', 'strong', 'hidden'] as const;
export type BlurStrength = (typeof BLUR_STRENGTHS)[number];

export interface ImageDisplay {
  blurStrength: BlurStrength;
  /** Never show an image until the moderator asks for that one image, even with blur and grayscale off. */
  neverAutoReveal: boolean;
  /** Cases already decided show no image (a button still shows it on request). */
  hideDecidedImages: boolean;
}

export const DEFAULT_IMAGE_DISPLAY: ImageDisplay = {
  blurStrength: 'strong',
  neverAutoReveal: true,
  hideDecidedImages: true,
};

export interface ExposureCounts {
  imagesRevealed: number;
  harmfulJudged: number;
}

export interface ExposureStatus {
  moderator: string;
  /** Since the last break (or the first event of the last 12 hours). */
  session: ExposureCounts & { since: string | null; minutes: number };
  lastHour: ExposureCounts;
  limits: ExposureLimits;
  /** A break is suggested (a soft limit reached). */
  breakSuggested: boolean;
  /** A hard limit is reached: every image stays blurred until a break has been taken. */
  mustBreak: boolean;
  /** A break in progress: when it started and when it may end. */
  onBreak: { since: string; endsAt: string } | null;
}
